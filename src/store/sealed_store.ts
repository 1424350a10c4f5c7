import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { concatBytes, constantTimeEqual, toHex } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { StoreError } from './errors.js';
import type { Store, StoreEntry } from './store.js';

/**
 * A Store whose values are sealed with AES-256-GCM, so the inner store (a file, etcd and their
 * operators) holds ciphertext only. Keys and revisions stay in plaintext: the inner store needs
 * them for prefixes and compare-and-swap.
 *
 * Sealed value: version (1 B, 0x01) | keyId (8 B) | nonce (12 B, random per write) | ciphertext | tag (16 B)
 * AAD: "cloister/state/v1" 0x00 | version | keyId | key name (UTF-8)
 *
 * The AES key and the key id are derived from the 32-byte data key with HKDF-SHA256 under
 * separate labels, so the id says "written under another data key" (STATE_UNSEALED_FAILED)
 * apart from "written under this key but altered or moved to another key name" (STATE_TAMPERED)
 * without revealing anything about the AES key.
 *
 * Not covered (documented in docs/state.md): rolling back the whole store or one key to an
 * older sealed value written under the same key name; that needs a monotonic counter the
 * file store does not have. Random 96-bit nonces are safe for far more than the 2^32 writes
 * NIST SP 800-38D allows per key, which a coordinator does not reach.
 *
 * Keys under PUBLIC_PREFIX (`public/`) are the one exception: written and read UNSEALED. They
 * hold only data meant to be public (the recovery shares encrypted to their holders and the
 * share-set info), because a coordinator that cannot open its data key must still read them
 * from the raw store to be recovered. Their integrity is not protected by the data key: a
 * forged value gains nothing (a recovered key must still open the sealed state), so callers
 * must never keep anything secret or trusted there.
 */
export const SEALED_FORMAT_VERSION = 0x01;
/** Prefix of the keys a sealed store keeps in plaintext (public data only). */
export const PUBLIC_PREFIX = 'public/';
const isPublic = (key: string): boolean => key.startsWith(PUBLIC_PREFIX);
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES;
const AAD_LABEL = new TextEncoder().encode('cloister/state/v1\u0000');

export interface SealedStoreOptions {
  /** The state data key: 32 bytes (from sealing.ts or, later, an attested key exchange). */
  readonly dataKey: Uint8Array;
  /** Source of the per-write nonces. */
  readonly random: Random;
}

interface DerivedKeys {
  readonly aesKey: Buffer;
  readonly keyId: Uint8Array;
}

function deriveKeys(dataKey: Uint8Array): DerivedKeys {
  if (dataKey.byteLength !== 32) throw new StoreError('DATA_KEY_INVALID', `state data key: got ${dataKey.byteLength} bytes, want 32`);
  const derive = (label: string, n: number) => new Uint8Array(hkdfSync('sha256', dataKey, new Uint8Array(0), label, n));
  return { aesKey: Buffer.from(derive('cloister/state/aes-256-gcm/v1', 32)), keyId: derive('cloister/state/key-id/v1', KEY_ID_BYTES) };
}

/** The 8-byte key id that every value sealed under `dataKey` carries (public: reveals nothing about the AES key). */
export function dataKeyId(dataKey: Uint8Array): Uint8Array {
  return deriveKeys(dataKey).keyId;
}

function aad(keyId: Uint8Array, key: string): Uint8Array {
  return concatBytes(AAD_LABEL, new Uint8Array([SEALED_FORMAT_VERSION]), keyId, new TextEncoder().encode(key));
}

function sealValue(keys: DerivedKeys, key: string, plain: Uint8Array, random: Random): Uint8Array {
  const nonce = random.bytes(NONCE_BYTES);
  if (nonce.byteLength !== NONCE_BYTES) throw new StoreError('DATA_KEY_INVALID', `nonce source: got ${nonce.byteLength} bytes, want ${NONCE_BYTES}`);
  const cipher = createCipheriv('aes-256-gcm', keys.aesKey, nonce);
  cipher.setAAD(aad(keys.keyId, key));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return concatBytes(new Uint8Array([SEALED_FORMAT_VERSION]), keys.keyId, nonce, body, cipher.getAuthTag());
}

function openValue(keys: DerivedKeys, key: string, sealed: Uint8Array): Uint8Array {
  if (sealed.byteLength < HEADER_BYTES + TAG_BYTES) {
    throw new StoreError('STATE_TAMPERED', `sealed value of ${JSON.stringify(key)}: got ${sealed.byteLength} bytes, want at least ${HEADER_BYTES + TAG_BYTES}`);
  }
  if (sealed[0] !== SEALED_FORMAT_VERSION) {
    throw new StoreError('STATE_TAMPERED', `sealed value of ${JSON.stringify(key)}: format version got ${sealed[0]}, want ${SEALED_FORMAT_VERSION}`);
  }
  const keyId = sealed.subarray(1, 1 + KEY_ID_BYTES);
  if (!constantTimeEqual(keyId, keys.keyId)) {
    throw new StoreError('STATE_UNSEALED_FAILED', `sealed value of ${JSON.stringify(key)} was written under another data key: key id got ${toHex(keyId)}, want ${toHex(keys.keyId)}`);
  }
  const nonce = sealed.subarray(1 + KEY_ID_BYTES, HEADER_BYTES);
  const body = sealed.subarray(HEADER_BYTES, sealed.byteLength - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', keys.aesKey, nonce);
  decipher.setAAD(aad(keys.keyId, key));
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch (e) {
    throw new StoreError('STATE_TAMPERED', `sealed value of ${JSON.stringify(key)} fails AES-256-GCM authentication (altered, or moved from another key)`, { cause: e });
  }
}

export function createSealedStore(inner: Store, o: SealedStoreOptions): Store {
  const keys = deriveKeys(o.dataKey);
  return {
    async get(key) {
      const e = await inner.get(key);
      if (e === undefined) return undefined;
      return { value: isPublic(key) ? e.value : openValue(keys, key, e.value), revision: e.revision };
    },
    async list(prefix) {
      const entries = await inner.list(prefix);
      return entries.map((e): StoreEntry => ({ key: e.key, value: isPublic(e.key) ? e.value : openValue(keys, e.key, e.value), revision: e.revision }));
    },
    commit(ops, co) {
      return inner.commit(
        {
          compare: ops.compare,
          put: ops.put.map((p) => ({ key: p.key, value: isPublic(p.key) ? p.value : sealValue(keys, p.key, p.value, o.random) })),
          delete: ops.delete,
        },
        co,
      );
    },
    close() {
      return inner.close();
    },
  };
}
