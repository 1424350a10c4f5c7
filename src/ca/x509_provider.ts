// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata
// polyfill loaded before it (tsyringe README); this module is the one place that loads both.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

/**
 * node's WebCrypto (native code) as the crypto provider of @peculiar/x509. Key generation
 * therefore uses node's CSPRNG; serial numbers and nonces still come from the caller's Random.
 */
export const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

// WebCrypto types by name (the project compiles without the DOM lib).
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type Algorithm = webcrypto.Algorithm;
export type EcdsaParams = webcrypto.EcdsaParams;
export type EcKeyImportParams = webcrypto.EcKeyImportParams;
export type EcKeyGenParams = webcrypto.EcKeyGenParams;
export type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
export type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;

export { x509 };
