import { concatBytes } from '../common/bytes.js';
import { gcmOpen, gcmSeal, NONCE_BYTES, TAG_BYTES } from './aead.js';
import { ProtectError } from './errors.js';
import { deriveFileKey, frame, LABEL_OBJECT_AAD, u64 } from './keys.js';

/**
 * One file's content as stored on disk (an "object", under a random name):
 *
 *   magic "CLVOBJ01" (8) | nonce (12) | AES-256-GCM ciphertext | tag (16)
 *
 * The key is derived from the volume key, volume id and the file's path; the AAD binds
 * magic, volume id, path and the file version, so an object copied to another path, another
 * volume, or replayed from an older version does not decrypt. The manifest additionally
 * pins each object's SHA-256, which catches the same swaps before any decryption.
 */
export const OBJECT_MAGIC = new Uint8Array(Buffer.from('CLVOBJ01', 'latin1'));
export const OBJECT_OVERHEAD = OBJECT_MAGIC.byteLength + NONCE_BYTES + TAG_BYTES;

export interface ObjectBinding {
  readonly volumeKey: Uint8Array;
  readonly volumeId: string;
  readonly path: string;
  readonly version: number;
}

function objectAad(b: ObjectBinding): Uint8Array {
  return frame(LABEL_OBJECT_AAD, OBJECT_MAGIC, b.volumeId, b.path, u64(b.version));
}

export function sealObject(b: ObjectBinding, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (nonce.byteLength !== NONCE_BYTES) throw new RangeError(`object nonce: got ${nonce.byteLength} bytes, want ${NONCE_BYTES}`);
  const key = deriveFileKey(b.volumeKey, b.volumeId, b.path);
  return concatBytes(OBJECT_MAGIC, nonce, gcmSeal(key, nonce, plaintext, objectAad(b)));
}

export function openObject(b: ObjectBinding, bytes: Uint8Array): Uint8Array {
  const what = `file '${b.path}' (version ${b.version})`;
  if (bytes.byteLength < OBJECT_OVERHEAD) {
    throw new ProtectError('VOLUME_TAMPERED', `${what}: object is ${bytes.byteLength} bytes, want at least ${OBJECT_OVERHEAD}`, { detail: { path: b.path } });
  }
  const magic = bytes.subarray(0, OBJECT_MAGIC.byteLength);
  if (!Buffer.from(magic).equals(OBJECT_MAGIC)) {
    throw new ProtectError('VOLUME_TAMPERED', `${what}: object magic is ${Buffer.from(magic).toString('hex')}, want ${Buffer.from(OBJECT_MAGIC).toString('hex')}`, { detail: { path: b.path } });
  }
  const nonce = bytes.subarray(OBJECT_MAGIC.byteLength, OBJECT_MAGIC.byteLength + NONCE_BYTES);
  const key = deriveFileKey(b.volumeKey, b.volumeId, b.path);
  return gcmOpen(key, nonce, bytes.subarray(OBJECT_MAGIC.byteLength + NONCE_BYTES), objectAad(b), what);
}
