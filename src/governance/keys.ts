import { X509Certificate, constants, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { GovernanceError } from './errors.js';

/**
 * User keys and the one signature scheme per key type, used for approvals and signed requests:
 * ECDSA with the curve's hash (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512) and raw r||s
 * (IEEE P1363, as JOSE ES256/ES384/ES512), Ed25519, or RSA-PSS with SHA-256, MGF1-SHA-256 and
 * a 32-byte salt (JOSE PS256). RSA below 2048 bits is refused.
 */
const EC_HASH: Readonly<Record<string, string>> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

/** Throws GOVERNANCE_KEY_UNSUPPORTED unless the key can sign approvals. */
export function checkUserKey(key: KeyObject, who: string): void {
  const t = key.asymmetricKeyType;
  if (t === 'ed25519') return;
  if (t === 'ec' && EC_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined) return;
  if ((t === 'rsa' || t === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return;
  const got = t === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve}` : t === 'rsa' || t === 'rsa-pss' ? `${t} ${key.asymmetricKeyDetails?.modulusLength} bits` : String(t);
  throw new GovernanceError('GOVERNANCE_KEY_UNSUPPORTED', `${who}: key ${got}, want ECDSA P-256/P-384/P-521, Ed25519 or RSA >= 2048 bits`);
}

/** The public key of a declared user's certificate or public key PEM (both were checked by the schema). */
export function keyFromPem(entry: { certificate?: string | undefined; publicKey?: string | undefined }, who: string, now?: Date): KeyObject {
  if (entry.certificate !== undefined) {
    const cert = new X509Certificate(entry.certificate);
    if (now !== undefined) {
      const from = new Date(cert.validFrom);
      const to = new Date(cert.validTo);
      if (now < from || now > to) {
        throw new GovernanceError('GOVERNANCE_CERTIFICATE_EXPIRED', `${who}: certificate valid ${from.toISOString()} to ${to.toISOString()}, checked at ${now.toISOString()}`);
      }
    }
    return cert.publicKey;
  }
  if (entry.publicKey !== undefined) return createPublicKey(entry.publicKey);
  throw new GovernanceError('GOVERNANCE_INVALID', `${who}: neither certificate nor publicKey`);
}

function rsaPss(key: KeyObject) {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
}

/** Signs `message` with a user's private key using the scheme of its type (for CLI and tests). */
export function signAsUser(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  checkUserKey(privateKey, 'signing key');
  const t = privateKey.asymmetricKeyType;
  if (t === 'ed25519') return new Uint8Array(sign(null, message, privateKey));
  if (t === 'ec') return new Uint8Array(sign(EC_HASH[privateKey.asymmetricKeyDetails!.namedCurve!]!, message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  return new Uint8Array(sign('sha256', message, rsaPss(privateKey)));
}

/** True when `signature` is the key's signature over `message` under the scheme of its type. */
export function verifyUserSignature(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  checkUserKey(publicKey, 'user key');
  const t = publicKey.asymmetricKeyType;
  try {
    if (t === 'ed25519') return verify(null, message, publicKey, signature);
    if (t === 'ec') return verify(EC_HASH[publicKey.asymmetricKeyDetails!.namedCurve!]!, message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    return verify('sha256', message, rsaPss(publicKey), signature);
  } catch {
    // Malformed signature encodings make node:crypto throw: that is "does not verify".
    return false;
  }
}
