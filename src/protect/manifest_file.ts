import { concatBytes, constantTimeEqual, toHex } from '../common/bytes.js';
import { gcmOpen, gcmSeal, NONCE_BYTES, TAG_BYTES } from './aead.js';
import { ProtectError } from './errors.js';
import { deriveKeyId, deriveManifestKey } from './keys.js';
import { decodeManifest, encodeManifest, manifestHash, type VolumeManifest } from './manifest.js';

/**
 * The volume manifest as stored on disk (file `manifest.<version>`):
 *
 *   magic "CLVMAN01" (8) | u8 n | volume id (n, ASCII) | key id (16) | nonce (12) | ciphertext | tag (16)
 *
 * Everything before the nonce is the AAD. The volume id and key id are in the clear so a
 * wrong volume or a wrong key gets its own error (VOLUME_ID_MISMATCH, VOLUME_KEY_WRONG)
 * instead of a bare authentication failure; both are also bound by the tag.
 */
export const MANIFEST_MAGIC = new Uint8Array(Buffer.from('CLVMAN01', 'latin1'));
const KEY_ID_BYTES = 16;

export interface OpenedManifest {
  readonly manifest: VolumeManifest;
  /** The volume state hash (manifest.ts manifestHash). */
  readonly hash: string;
}

function header(volumeId: string, keyId: Uint8Array): Uint8Array {
  const id = Buffer.from(volumeId, 'latin1'); // checkVolumeId allows ASCII only
  return concatBytes(MANIFEST_MAGIC, new Uint8Array([id.byteLength]), id, keyId);
}

export function sealManifest(volumeKey: Uint8Array, m: VolumeManifest, nonce: Uint8Array): { bytes: Uint8Array; hash: string } {
  const encoded = encodeManifest(m);
  const aad = header(m.volumeId, deriveKeyId(volumeKey, m.volumeId));
  const sealed = gcmSeal(deriveManifestKey(volumeKey, m.volumeId), nonce, encoded, aad);
  return { bytes: concatBytes(aad, nonce, sealed), hash: manifestHash(encoded) };
}

interface ParsedHeader {
  readonly volumeId: string;
  readonly keyId: Uint8Array;
  readonly aad: Uint8Array;
  readonly nonce: Uint8Array;
  readonly sealed: Uint8Array;
}

function parseHeader(bytes: Uint8Array, what: string): ParsedHeader {
  const bad = (why: string): never => {
    throw new ProtectError('VOLUME_TAMPERED', `${what}: ${why}`);
  };
  if (bytes.byteLength < MANIFEST_MAGIC.byteLength + 1) bad(`${bytes.byteLength} bytes is too short for a header`);
  if (!Buffer.from(bytes.subarray(0, MANIFEST_MAGIC.byteLength)).equals(MANIFEST_MAGIC)) {
    bad(`magic is ${toHex(bytes.subarray(0, MANIFEST_MAGIC.byteLength))}, want ${toHex(MANIFEST_MAGIC)}`);
  }
  const n = bytes[MANIFEST_MAGIC.byteLength]!;
  const idEnd = MANIFEST_MAGIC.byteLength + 1 + n;
  const aadEnd = idEnd + KEY_ID_BYTES;
  if (bytes.byteLength < aadEnd + NONCE_BYTES + TAG_BYTES) bad(`${bytes.byteLength} bytes is too short (want at least ${aadEnd + NONCE_BYTES + TAG_BYTES})`);
  return {
    volumeId: Buffer.from(bytes.subarray(MANIFEST_MAGIC.byteLength + 1, idEnd)).toString('latin1'),
    keyId: bytes.subarray(idEnd, aadEnd),
    aad: bytes.subarray(0, aadEnd),
    nonce: bytes.subarray(aadEnd, aadEnd + NONCE_BYTES),
    sealed: bytes.subarray(aadEnd + NONCE_BYTES),
  };
}

/** The volume id a manifest file claims, unauthenticated (for `cloister protect` defaults only). */
export function peekManifestVolumeId(bytes: Uint8Array): string {
  return parseHeader(bytes, 'volume manifest').volumeId;
}

/**
 * Checks and decrypts one manifest file: header, volume id, key id, tag, canonical JSON,
 * and that it is the version its file name says. Freshness is reconcile.ts's job.
 */
export function openManifest(volumeKey: Uint8Array, volumeId: string, fileVersion: number, bytes: Uint8Array): OpenedManifest {
  const what = `volume manifest version ${fileVersion}`;
  const h = parseHeader(bytes, what);
  if (h.volumeId !== volumeId) {
    throw new ProtectError('VOLUME_ID_MISMATCH', `${what}: volume id is ${JSON.stringify(h.volumeId)}, want ${JSON.stringify(volumeId)}`, {
      detail: { got: h.volumeId, want: volumeId },
    });
  }
  const wantKeyId = deriveKeyId(volumeKey, volumeId);
  if (!constantTimeEqual(h.keyId, wantKeyId)) {
    throw new ProtectError('VOLUME_KEY_WRONG', `${what}: key id is ${toHex(h.keyId)}, want ${toHex(wantKeyId)} (the volume was written under another key)`, {
      detail: { got: toHex(h.keyId), want: toHex(wantKeyId) },
    });
  }
  const encoded = gcmOpen(deriveManifestKey(volumeKey, volumeId), h.nonce, h.sealed, h.aad, what);
  const manifest = decodeManifest(encoded);
  if (manifest.volumeId !== volumeId || manifest.version !== fileVersion) {
    throw new ProtectError('VOLUME_TAMPERED', `${what}: content says volume ${JSON.stringify(manifest.volumeId)} version ${manifest.version} (file renamed)`, {
      detail: { gotVersion: manifest.version, wantVersion: fileVersion },
    });
  }
  return { manifest, hash: manifestHash(encoded) };
}
