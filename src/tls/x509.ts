import 'reflect-metadata'; // required by @peculiar/x509's dependency injection, before it loads
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// Certificates are built with @peculiar/x509 on Node's WebCrypto: ECDSA P-256 with SHA-256, which
// every libpq/OpenSSL, JDBC and Node client accepts.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const subtle = webcrypto.subtle;
