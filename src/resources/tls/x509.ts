import 'reflect-metadata'; // required by @peculiar/x509's dependency injection, before it loads
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// Certificates are built with @peculiar/x509 on Node's WebCrypto. This module is heavy to load: it is
// imported lazily, only by the code that issues certificates (apply), never by plan.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
