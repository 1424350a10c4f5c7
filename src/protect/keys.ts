import { hkdfSync } from 'node:crypto';
import { concatBytes } from '../common/bytes.js';

/**
 * Every key of a volume comes from the one volume key (a manifest secret) through
 * HKDF-SHA256 (RFC 5869) with a versioned label and length-framed inputs, so no two
 * purposes, volumes or paths can share a key and no concatenation is ambiguous (STYLE.md
 * "Silent coercion": frame and label what gets hashed). The same pattern as contrast
 * internal/seedengine/seedengine.go (one seed, fixed HKDF labels). Changing a label or the
 * framing makes every existing volume unreadable: test/protect/keys.test.ts pins them.
 */
export const LABEL_FILE_KEY = 'cloister/protect/file-key/v1';
export const LABEL_MANIFEST_KEY = 'cloister/protect/manifest-key/v1';
export const LABEL_KEY_ID = 'cloister/protect/key-id/v1';
export const LABEL_OBJECT_AAD = 'cloister/protect/object/v1';
export const LABEL_STATE_HASH = 'cloister/protect/state/v1';

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** label || 0x00 || (u32 length || bytes) per part: an unambiguous encoding of the inputs. */
export function frame(label: string, ...parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  const out: Uint8Array[] = [utf8(label), new Uint8Array([0])];
  for (const p of parts) {
    const bytes = typeof p === 'string' ? utf8(p) : p;
    out.push(u32(bytes.byteLength), bytes);
  }
  return concatBytes(...out);
}

function hkdf(key: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  // empty salt: RFC 5869 2.2 then uses HashLen zero bytes; the volume key is already uniform
  return new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), info, length));
}

/** The AES-256-GCM key of one file path (the brief: per-file keys from volume key + path). */
export function deriveFileKey(volumeKey: Uint8Array, volumeId: string, path: string): Uint8Array {
  return hkdf(volumeKey, frame(LABEL_FILE_KEY, volumeId, path), 32);
}

/** The AES-256-GCM key of the volume manifest. */
export function deriveManifestKey(volumeKey: Uint8Array, volumeId: string): Uint8Array {
  return hkdf(volumeKey, frame(LABEL_MANIFEST_KEY, volumeId), 32);
}

/**
 * A 16-byte public fingerprint of (key, volume id), stored in the manifest header so that a
 * wrong key is reported as VOLUME_KEY_WRONG rather than as tampering. It reveals nothing
 * about the key (an HKDF output under its own label).
 */
export function deriveKeyId(volumeKey: Uint8Array, volumeId: string): Uint8Array {
  return hkdf(volumeKey, frame(LABEL_KEY_ID, volumeId), 16);
}
