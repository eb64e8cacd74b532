import { webcrypto } from 'node:crypto';

// ECDSA P-256 with SHA-256: every libpq/OpenSSL, JDBC and Node client accepts it.
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const subtle = webcrypto.subtle;
