import { createPublicKey, type KeyObject } from 'node:crypto';
import { CaError } from './errors.js';
import { subtle } from './x509_provider.js';
import type { Algorithm, CryptoKey, CryptoKeyPair, EcdsaParams, EcKeyGenParams, EcKeyImportParams, RsaHashedImportParams, RsaHashedKeyGenParams } from './x509_provider.js';

/**
 * Key types Cloister issues certificates for (the manifest's secret `keyType` values) and
 * their WebCrypto spellings. CA keys are ECDSA only: P-256 signs fastest on the activation
 * path, P-384 for deployments that want the larger curve.
 */
export type KeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export type CaKeyType = Extract<KeyType, 'ecdsa-p256' | 'ecdsa-p384'>;
export const KEY_TYPES: readonly KeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

interface KeySpec {
  /** Parameters for generateKey and importKey. */
  readonly params: EcKeyImportParams | RsaHashedImportParams | Algorithm;
  readonly generate: EcKeyGenParams | RsaHashedKeyGenParams | Algorithm;
  /** Signature algorithm when this key signs a certificate, CSR or CRL. */
  readonly signing: Algorithm | EcdsaParams;
}

const RSA_E = new Uint8Array([1, 0, 1]);
const rsa = (bits: number): KeySpec => ({
  params: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  generate: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: bits, publicExponent: RSA_E },
  signing: { name: 'RSASSA-PKCS1-v1_5' },
});

export const KEY_SPECS: Readonly<Record<KeyType, KeySpec>> = {
  'ecdsa-p256': { params: { name: 'ECDSA', namedCurve: 'P-256' }, generate: { name: 'ECDSA', namedCurve: 'P-256' }, signing: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams },
  'ecdsa-p384': { params: { name: 'ECDSA', namedCurve: 'P-384' }, generate: { name: 'ECDSA', namedCurve: 'P-384' }, signing: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams },
  ed25519: { params: { name: 'Ed25519' }, generate: { name: 'Ed25519' }, signing: { name: 'Ed25519' } },
  'rsa-2048': rsa(2048),
  'rsa-3072': rsa(3072),
  'rsa-4096': rsa(4096),
};

export function checkKeyType(t: string, allowed: readonly string[] = KEY_TYPES): asserts t is KeyType {
  if (!allowed.includes(t)) throw new CaError('CA_KEY_UNSUPPORTED', `key type: got '${t}', want one of ${allowed.join(', ')}`);
}

export async function generateKeyPair(type: KeyType): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(KEY_SPECS[type].generate, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', new Uint8Array(await subtle.exportKey('pkcs8', key)));
}

export async function importPrivateKeyPem(pem: string, type: KeyType): Promise<CryptoKey> {
  const der = fromPem(pem, 'PRIVATE KEY');
  return subtle.importKey('pkcs8', der, KEY_SPECS[type].params, true, ['sign']);
}

export async function importPublicKeySpki(spki: Uint8Array, type: KeyType): Promise<CryptoKey> {
  return subtle.importKey('spki', spki, KEY_SPECS[type].params, true, ['verify']);
}

/**
 * The key type of a DER SubjectPublicKeyInfo as node reads it, or undefined when Cloister does
 * not issue for it (other curves, RSA below 2048 or above 4096 bits, DSA, X25519...).
 */
export function keyTypeOfSpki(spki: Uint8Array): KeyType | undefined {
  let key;
  try {
    key = importSpki(spki);
  } catch {
    return undefined;
  }
  return keyTypeOfKey(key);
}

// The fixed DER prefixes of uncompressed ECDSA P-256 / P-384 SubjectPublicKeyInfo (RFC 5480):
// SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING 0x00 0x04 || X || Y }.
const EC_SPKI_PREFIX = [
  { crv: 'P-256', size: 32, prefix: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex') },
  { crv: 'P-384', size: 48, prefix: Buffer.from('3076301006072a8648ce3d020106052b8104002203620004', 'hex') },
] as const;

/**
 * Imports a DER SubjectPublicKeyInfo. Uncompressed P-256/P-384 keys (every CSR the launcher
 * makes) go through JWK, which node imports in about half the time of DER (OpenSSL 3's DER
 * decoder chain is the slow part; measured 108 vs 216 µs); the point is validated either way.
 * Anything else takes the DER path.
 */
export function importSpki(spki: Uint8Array): KeyObject {
  const b = Buffer.from(spki);
  for (const { crv, size, prefix } of EC_SPKI_PREFIX) {
    if (b.length === prefix.length + 2 * size && b.subarray(0, prefix.length).equals(prefix)) {
      const x = b.subarray(prefix.length, prefix.length + size).toString('base64url');
      const y = b.subarray(prefix.length + size).toString('base64url');
      return createPublicKey({ key: { kty: 'EC', crv, x, y }, format: 'jwk' });
    }
  }
  return createPublicKey({ key: b, format: 'der', type: 'spki' });
}

/** The same for an imported key (importing is the costly part: do it once). */
export function keyTypeOfKey(key: KeyObject): KeyType | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return d.namedCurve === 'prime256v1' ? 'ecdsa-p256' : d.namedCurve === 'secp384r1' ? 'ecdsa-p384' : undefined;
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      return d.modulusLength === 2048 ? 'rsa-2048' : d.modulusLength === 3072 ? 'rsa-3072' : d.modulusLength === 4096 ? 'rsa-4096' : undefined;
    default:
      return undefined;
  }
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** The DER body of the one PEM block labelled `label` in `pem`; CA_SNAPSHOT_INVALID otherwise. */
export function fromPem(pem: string, label: string): Uint8Array {
  const m = new RegExp(`^\\s*-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----\\s*$`).exec(pem);
  if (m === null) throw new CaError('CA_SNAPSHOT_INVALID', `want exactly one PEM block labelled '${label}'`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}
