import type { DesiredAddon, ObservedUsers, PasswordState } from '../model.js';
import type { HostReader } from '../reader.js';
import { verifierMatches } from './scram.js';

// Read-only: the instance's roles, and for each declared role that exists whether its SCRAM verifier
// matches the password dbform holds (from the keystore, or the environment for passwordEnv). Only that
// verdict leaves this function: observed state, and so plans and fingerprints, never hold a password.

export async function passwordState(verifier: string | null, secret: string | undefined): Promise<PasswordState> {
  if (secret === undefined) return 'not-held';
  return (await verifierMatches(verifier, secret)) ? 'matches' : 'differs';
}

export async function gatherUsers(read: HostReader, desired: DesiredAddon): Promise<ObservedUsers> {
  const { catalog } = await read.instance(desired);
  const passwords: Record<string, PasswordState> = {};
  await Promise.all(
    desired.roles.map(async (role) => {
      const have = catalog?.roles.find((r) => r.name === role.name);
      if (!have) return;
      const source = role.passwordSource;
      const secret = source.source === 'env' ? process.env[source.name] : await read.secret(source.key);
      passwords[role.name] = await passwordState(have.verifier, secret);
    }),
  );
  return { catalog, passwords };
}
