import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import type { Random } from '../common/clock.js';
import { isAllZero, toHex } from '../common/bytes.js';
import { RecoveryError } from './errors.js';
import { decodeShare, encodeShare, type Share } from './share.js';

/**
 * A share encrypted to one recovery-key holder. v1 envelope:
 *
 *   "CLSE" | 0x01 | alg (1) | recipient = SHA-256(recipient SPKI DER) (32) | body
 *   alg 1 RSA-OAEP-SHA256:  body = OAEP ciphertext (modulus length), OAEP label = LABEL_RSA || 0x00 || header
 *   alg 2 X25519:           body = ephemeral public key (32) | iv (12) | AES-256-GCM ciphertext | tag (16)
 *                           key = HKDF-SHA256(ikm = X25519(eph, recipient), salt = empty,
 *                                             info = LABEL_X25519 || 0x00 || header || ephemeral public key)
 *                           AAD = header || ephemeral public key
 * The header (first 38 bytes) is authenticated in both, so the algorithm and recipient cannot
 * be swapped. The recipient fingerprint lets a holder's tool say "this share is for another key"
 * instead of a bare decryption failure. X25519 follows the ECIES shape of RFC 9180 (HPKE base
 * mode) without its full key schedule; RSA-OAEP is RFC 8017 with SHA-256 and MGF1-SHA-256.
 */
export const ENVELOPE_MAGIC = 'CLSE';
export const ENVELOPE_VERSION = 1;
export const LABEL_RSA = 'cloister/recovery-share/rsa-oaep-sha256/v1';
export const LABEL_X25519 = 'cloister/recovery-share/x25519-hkdf-sha256-aes256gcm/v1';
const ALG_RSA = 1;
const ALG_X25519 = 2;
const HEADER = 4 + 1 + 1 + 32;
const MIN_RSA_BITS = 2048;
// DER prefixes of X25519 PKCS#8 private keys and SPKI public keys (RFC 8410), followed by 32 raw bytes.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX_LEN = 12;

type Alg = typeof ALG_RSA | typeof ALG_X25519;

function algOf(key: KeyObject, what: string): Alg {
  if (key.asymmetricKeyType === 'x25519') return ALG_X25519;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits >= MIN_RSA_BITS) return ALG_RSA;
    throw new RecoveryError('RECOVERY_KEY_UNSUPPORTED', `${what}: RSA key of ${bits} bits, want at least ${MIN_RSA_BITS}`);
  }
  throw new RecoveryError('RECOVERY_KEY_UNSUPPORTED', `${what}: got a ${String(key.asymmetricKeyType)} key, want RSA (OAEP) or X25519`);
}

function loadKey(pem: string | KeyObject, kind: 'public' | 'private'): KeyObject {
  if (typeof pem !== 'string') return kind === 'public' && pem.type === 'private' ? createPublicKey(pem) : pem;
  try {
    return kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  } catch (e) {
    throw new RecoveryError('RECOVERY_KEY_UNSUPPORTED', `recovery ${kind} key: not a PEM ${kind} key`, { cause: e });
  }
}

/** SHA-256 of the public key's SPKI DER: the recovery key's fingerprint. */
export function recoveryKeyFingerprint(publicKey: string | KeyObject): string {
  const key = loadKey(publicKey, 'public');
  return toHex(createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest());
}

function header(alg: Alg, fingerprint: string): Buffer {
  return Buffer.concat([Buffer.from(ENVELOPE_MAGIC, 'ascii'), Buffer.of(ENVELOPE_VERSION, alg), Buffer.from(fingerprint, 'hex')]);
}

function x25519Key(privateKey: KeyObject, publicKey: KeyObject, hdr: Buffer, ephPub: Buffer): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (e) {
    // OpenSSL refuses some low-order points itself.
    throw new RecoveryError('RECOVERY_DECRYPT_FAILED', 'X25519: key agreement failed (invalid public key)', { cause: e });
  }
  if (isAllZero(shared)) {
    // A low-order point gives an all-zero shared secret (RFC 7748 §6.1): refuse it.
    throw new RecoveryError('RECOVERY_DECRYPT_FAILED', 'X25519: the shared secret is all zero (low-order public key)');
  }
  const info = Buffer.concat([Buffer.from(LABEL_X25519, 'ascii'), Buffer.of(0), hdr, ephPub]);
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), info, 32));
  shared.fill(0);
  return key;
}

/**
 * Encrypts a share to a holder's public key (PEM). `random` supplies the X25519 ephemeral key
 * and GCM nonce; RSA-OAEP draws its seed from OpenSSL inside publicEncrypt (node:crypto offers
 * no way to pass it in), which is fine because OAEP randomness is not a secret we must pin.
 */
export function encryptShare(publicKeyPem: string | KeyObject, share: Share, random: Random): Uint8Array {
  const key = loadKey(publicKeyPem, 'public');
  const alg = algOf(key, 'recovery public key');
  const hdr = header(alg, recoveryKeyFingerprint(key));
  const plain = Buffer.from(encodeShare(share));
  if (alg === ALG_RSA) {
    const ct = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: rsaLabel(hdr) }, plain);
    return new Uint8Array(Buffer.concat([hdr, ct]));
  }
  const eph = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(random.bytes(32))]), format: 'der', type: 'pkcs8' });
  const ephPub = createPublicKey(eph).export({ type: 'spki', format: 'der' }).subarray(X25519_SPKI_PREFIX_LEN);
  const aesKey = x25519Key(eph, key, hdr, ephPub);
  const iv = Buffer.from(random.bytes(12));
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  cipher.setAAD(Buffer.concat([hdr, ephPub]));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  aesKey.fill(0);
  return new Uint8Array(Buffer.concat([hdr, ephPub, iv, ct, cipher.getAuthTag()]));
}

const rsaLabel = (hdr: Buffer): Buffer => Buffer.concat([Buffer.from(LABEL_RSA, 'ascii'), Buffer.of(0), hdr]);

/** Decrypts an envelope with the holder's private key (PEM) and returns the parsed share. */
export function decryptShare(privateKeyPem: string | KeyObject, blob: Uint8Array): Share {
  const key = loadKey(privateKeyPem, 'private');
  const alg = algOf(key, 'recovery private key');
  const b = Buffer.from(blob);
  const bad = (what: string): never => {
    throw new RecoveryError('RECOVERY_ENVELOPE_MALFORMED', `encrypted share: ${what}`);
  };
  if (b.length < HEADER) bad(`got ${b.length} bytes, want at least ${HEADER}`);
  if (b.subarray(0, 4).toString('latin1') !== ENVELOPE_MAGIC) bad(`magic: got ${toHex(b.subarray(0, 4))}`);
  if (b[4] !== ENVELOPE_VERSION) bad(`version: got ${b[4]}, want ${ENVELOPE_VERSION}`);
  if (b[5] !== ALG_RSA && b[5] !== ALG_X25519) bad(`algorithm: got ${b[5]}, want 1 (RSA-OAEP) or 2 (X25519)`);
  if (b[5] !== alg) {
    throw new RecoveryError('RECOVERY_KEY_MISMATCH', `encrypted share: algorithm ${b[5] === ALG_RSA ? 'RSA-OAEP' : 'X25519'} does not match the ${alg === ALG_RSA ? 'RSA' : 'X25519'} key`);
  }
  const hdr = b.subarray(0, HEADER);
  const want = recoveryKeyFingerprint(key);
  const got = toHex(b.subarray(6, HEADER));
  if (got !== want) throw new RecoveryError('RECOVERY_KEY_MISMATCH', `encrypted share: recipient got ${got}, want ${want} (this key)`);
  const body = b.subarray(HEADER);
  let plain: Buffer;
  if (alg === ALG_RSA) {
    const bytes = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
    if (body.length !== bytes) bad(`RSA ciphertext: got ${body.length} bytes, want ${bytes}`);
    try {
      plain = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: rsaLabel(hdr) }, body);
    } catch (e) {
      throw new RecoveryError('RECOVERY_DECRYPT_FAILED', 'encrypted share: RSA-OAEP decryption failed', { cause: e });
    }
  } else {
    if (body.length < 32 + 12 + 16 + 1) bad(`X25519 body: got ${body.length} bytes, want at least ${32 + 12 + 16 + 1}`);
    const ephPub = body.subarray(0, 32);
    const iv = body.subarray(32, 44);
    const ct = body.subarray(44, body.length - 16);
    const tag = body.subarray(body.length - 16);
    const ephKey = createPublicKey({ key: Buffer.concat([createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(0, X25519_SPKI_PREFIX_LEN), ephPub]), format: 'der', type: 'spki' });
    const aesKey = x25519Key(key, ephKey, hdr, ephPub);
    try {
      const d = createDecipheriv('aes-256-gcm', aesKey, iv);
      d.setAAD(Buffer.concat([hdr, ephPub]));
      d.setAuthTag(tag);
      plain = Buffer.concat([d.update(ct), d.final()]);
    } catch (e) {
      throw new RecoveryError('RECOVERY_DECRYPT_FAILED', 'encrypted share: AES-256-GCM authentication failed', { cause: e });
    } finally {
      aesKey.fill(0);
    }
  }
  return decodeShare(plain);
}
