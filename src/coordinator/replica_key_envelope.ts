import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { concatBytes, isAllZero } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { CoordinatorError } from './codes.js';

/**
 * The data key sealed to a requesting replica's X25519 key (modelled on the X25519 recovery
 * envelope, src/recovery/envelope.ts, with its own label so neither can be replayed as the other):
 *
 *   "CLRK" | 0x01 | ephemeral X25519 public key (32) | iv (12) | AES-256-GCM ciphertext (32) | tag (16)
 *   key  = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = empty,
 *                      info = "cloister/replica-key-envelope/v1" 0x00 || AAD)
 *   AAD  = header (5) || ephemeral public key || recipient SPKI DER || nonce
 *
 * The AAD binds the requester's key and the nonce its evidence was bound to, so an answer cannot
 * be moved to another request. ECIES shape of RFC 9180 (HPKE base mode) without its key schedule.
 */
export const REPLICA_ENVELOPE_LABEL = 'cloister/replica-key-envelope/v1';
const MAGIC = Buffer.from('CLRK', 'ascii');
const VERSION = 0x01;
const HEADER = Buffer.concat([MAGIC, Buffer.of(VERSION)]);
const ENVELOPE_BYTES = HEADER.length + 32 + 12 + 32 + 16;
// RFC 8410 DER prefixes, followed by the 32 raw key bytes.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  /** SubjectPublicKeyInfo DER (44 bytes) */
  readonly publicKeySpki: Uint8Array;
}

/** An X25519 key pair from 32 bytes of `random` (randomness as an input, as everywhere). */
export function x25519KeyPair(random: Random): X25519KeyPair {
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(random.bytes(32))]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKeySpki: new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' })) };
}

/** Parses an X25519 public key (SPKI PEM or DER); REQUEST_INVALID for anything else. */
export function x25519PublicKey(key: string | Uint8Array): { key: KeyObject; spki: Uint8Array } {
  let k: KeyObject;
  try {
    k = typeof key === 'string' ? createPublicKey(key) : createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new CoordinatorError('REQUEST_INVALID', 'replica public key: not an SPKI public key', { cause });
  }
  if (k.asymmetricKeyType !== 'x25519') {
    throw new CoordinatorError('REQUEST_INVALID', `replica public key: got a ${String(k.asymmetricKeyType)} key, want x25519`);
  }
  return { key: k, spki: new Uint8Array(k.export({ type: 'spki', format: 'der' })) };
}

function aeadKey(privateKey: KeyObject, publicKey: KeyObject, aad: Buffer, what: string): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    throw new CoordinatorError(what === 'seal' ? 'REQUEST_INVALID' : 'REPLICA_ENVELOPE_INVALID', `replica key envelope (${what}): X25519 key agreement failed`, { cause });
  }
  // A low-order point gives an all-zero shared secret (RFC 7748 section 6.1): refuse it.
  if (isAllZero(shared)) {
    throw new CoordinatorError(what === 'seal' ? 'REQUEST_INVALID' : 'REPLICA_ENVELOPE_INVALID', `replica key envelope (${what}): all-zero X25519 shared secret (low-order public key)`);
  }
  const info = Buffer.concat([Buffer.from(REPLICA_ENVELOPE_LABEL, 'ascii'), Buffer.of(0), aad]);
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), info, 32));
  shared.fill(0);
  return key;
}

const aadOf = (ephPub: Uint8Array, recipientSpki: Uint8Array, nonce: Uint8Array): Buffer => Buffer.concat([HEADER, ephPub, recipientSpki, nonce]);

/** Seals the 32-byte data key to `recipientSpki` for the request that carried `nonce`. */
export function sealReplicaKey(o: { dataKey: Uint8Array; recipientSpki: Uint8Array; nonce: Uint8Array; random: Random }): Uint8Array {
  if (o.dataKey.byteLength !== 32) throw new CoordinatorError('REQUEST_INVALID', `replica key envelope: data key got ${o.dataKey.byteLength} bytes, want 32`);
  const recipient = x25519PublicKey(o.recipientSpki);
  const eph = x25519KeyPair(o.random);
  const ephPub = eph.publicKeySpki.subarray(X25519_SPKI_PREFIX.length);
  const aad = aadOf(ephPub, recipient.spki, o.nonce);
  const key = aeadKey(eph.privateKey, recipient.key, aad, 'seal');
  const iv = Buffer.from(o.random.bytes(12));
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(o.dataKey), cipher.final()]);
  key.fill(0);
  return concatBytes(HEADER, ephPub, iv, ct, cipher.getAuthTag());
}

/** Opens an envelope with the requester's private key; REPLICA_ENVELOPE_INVALID when malformed or not for this key/nonce. */
export function openReplicaKey(o: { envelope: Uint8Array; privateKey: KeyObject; nonce: Uint8Array }): Uint8Array {
  const b = Buffer.from(o.envelope);
  const bad = (what: string, cause?: unknown): never => {
    throw new CoordinatorError('REPLICA_ENVELOPE_INVALID', `replica key envelope: ${what}`, cause === undefined ? undefined : { cause });
  };
  if (b.length !== ENVELOPE_BYTES) bad(`got ${b.length} bytes, want ${ENVELOPE_BYTES}`);
  if (!b.subarray(0, HEADER.length).equals(HEADER)) bad(`header got ${b.subarray(0, HEADER.length).toString('hex')}, want ${HEADER.toString('hex')}`);
  let at = HEADER.length;
  const ephPub = b.subarray(at, (at += 32));
  const iv = b.subarray(at, (at += 12));
  const ct = b.subarray(at, (at += 32));
  const tag = b.subarray(at);
  const ephKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, ephPub]), format: 'der', type: 'spki' });
  const recipientSpki = new Uint8Array(createPublicKey(o.privateKey).export({ type: 'spki', format: 'der' }));
  const aad = aadOf(ephPub, recipientSpki, o.nonce);
  const key = aeadKey(o.privateKey, ephKey, aad, 'open');
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
  } catch (cause) {
    return bad('AES-256-GCM authentication failed (altered, or sealed to another key or nonce)', cause);
  } finally {
    key.fill(0);
  }
}
