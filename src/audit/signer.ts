import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AuditError } from './errors.js';

/**
 * Signatures over audit entries. The signed message is a label, a zero byte and the 32-byte
 * entry hash, never the bare hash: the coordinator key may sign other things (certificates,
 * tokens), and the label keeps an audit signature from being valid for any of them.
 * ECDSA P-256 (SHA-256, raw r||s as in JOSE ES256) or Ed25519.
 */
export const AUDIT_SIGNATURE_LABEL = 'cloister/audit-signature/v1';

export type AuditAlgorithm = 'ES256' | 'EdDSA';

export interface AuditSigner {
  readonly algorithm: AuditAlgorithm;
  /** Signs the entry hash (32 bytes); returns the raw signature. */
  sign(entryHash: Uint8Array): Uint8Array;
}

export function signatureMessage(entryHash: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(AUDIT_SIGNATURE_LABEL, 'ascii'), Buffer.of(0), entryHash]);
}

function algorithmOf(key: KeyObject): AuditAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const got = key.asymmetricKeyType === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve}` : String(key.asymmetricKeyType);
  throw new AuditError('AUDIT_KEY_UNSUPPORTED', `audit key: got ${got}, want ECDSA P-256 or Ed25519`);
}

/** A signer from the coordinator's private key (KeyObject or PEM). */
export function auditSigner(privateKey: KeyObject | string): AuditSigner {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const algorithm = algorithmOf(key);
  return {
    algorithm,
    sign: (entryHash) =>
      new Uint8Array(
        algorithm === 'EdDSA' ? sign(null, signatureMessage(entryHash), key) : sign('sha256', signatureMessage(entryHash), { key, dsaEncoding: 'ieee-p1363' }),
      ),
  };
}

export function toPublicKey(key: KeyObject | string): KeyObject {
  const k = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  algorithmOf(k);
  return k;
}

/** True when `signature` is the key's signature over the entry hash. */
export function verifyEntrySignature(publicKey: KeyObject, entryHash: Uint8Array, signature: Uint8Array): boolean {
  const msg = signatureMessage(entryHash);
  const algorithm = algorithmOf(publicKey);
  try {
    return algorithm === 'EdDSA'
      ? verify(null, msg, publicKey, signature)
      : verify('sha256', msg, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    // node:crypto throws on some malformed signature encodings; that is simply "does not verify".
    return false;
  }
}
