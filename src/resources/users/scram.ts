import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

// SCRAM-SHA-256 verifiers as PostgreSQL stores them in pg_authid.rolpassword:
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
// Computing the verifier here means the password itself never reaches the server (nor its log), and
// recomputing it from the stored salt tells whether the password dbform holds is still the one in use.

const PREFIX = 'SCRAM-SHA-256$';
const ITERATIONS = 4096;

function keysFrom(salted: Buffer): { stored: Buffer; server: Buffer } {
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    stored: createHash('sha256').update(clientKey).digest(),
    server: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string {
  const { stored, server } = keysFrom(pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256'));
  return `${PREFIX}${iterations}:${salt.toString('base64')}$${stored.toString('base64')}:${server.toString('base64')}`;
}

interface ParsedVerifier {
  iterations: number;
  salt: Buffer;
  stored: Buffer;
  server: Buffer;
}

function parse(verifier: string | null): ParsedVerifier | null {
  const m = verifier ? /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier) : null;
  if (!m) return null;
  return { iterations: Number(m[1]), salt: Buffer.from(m[2]!, 'base64'), stored: Buffer.from(m[3]!, 'base64'), server: Buffer.from(m[4]!, 'base64') };
}

function same(want: ParsedVerifier, salted: Buffer): boolean {
  const { stored, server } = keysFrom(salted);
  return want.stored.length === stored.length && want.server.length === server.length && timingSafeEqual(stored, want.stored) && timingSafeEqual(server, want.server);
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * True when `verifier` was computed from `password`; false for another password, md5 or no verifier. On
 * libuv's thread pool: 4,096 PBKDF2 rounds per role would otherwise stall the event loop while other hosts'
 * answers wait (a plan checks every user of every add-on).
 */
export async function verifierMatches(verifier: string | null, password: string): Promise<boolean> {
  const want = parse(verifier);
  return want !== null && same(want, await pbkdf2Async(password.normalize('NFKC'), want.salt, want.iterations, 32, 'sha256'));
}
