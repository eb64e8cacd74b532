import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

// SCRAM-SHA-256 verifiers as PostgreSQL stores them in pg_authid.rolpassword:
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
// Computing the verifier here means the password itself never reaches the server (nor its log), and
// recomputing it from the stored salt tells whether the password dbform holds is still the one in use.

const PREFIX = 'SCRAM-SHA-256$';
const ITERATIONS = 4096;

function keys(password: string, salt: Buffer, iterations: number): { stored: Buffer; server: Buffer } {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    stored: createHash('sha256').update(clientKey).digest(),
    server: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string {
  const { stored, server } = keys(password, salt, iterations);
  return `${PREFIX}${iterations}:${salt.toString('base64')}$${stored.toString('base64')}:${server.toString('base64')}`;
}

/** True when `verifier` was computed from `password`; false for another password, md5 or no verifier. */
export function verifierMatches(verifier: string | null, password: string): boolean {
  if (!verifier?.startsWith(PREFIX)) return false;
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!m) return false;
  const { stored, server } = keys(password, Buffer.from(m[2]!, 'base64'), Number(m[1]));
  const wantStored = Buffer.from(m[3]!, 'base64');
  const wantServer = Buffer.from(m[4]!, 'base64');
  return (
    wantStored.length === stored.length &&
    wantServer.length === server.length &&
    timingSafeEqual(stored, wantStored) &&
    timingSafeEqual(server, wantServer)
  );
}
