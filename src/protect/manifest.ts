import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ProtectError } from './errors.js';
import { frame, LABEL_STATE_HASH } from './keys.js';
import { checkVolumePath } from './names.js';

/**
 * The volume manifest: which paths the volume holds, where (random object names), in which
 * version, how big, and the SHA-256 of each stored object. Its hash is the volume's state,
 * the value the version authority records; `previousHash` chains each version to the one
 * it replaced (which is what makes the crash rule in reconcile.ts safe).
 *
 * The encoding is canonical (fixed key order, files sorted by path) and decoding checks
 * that the bytes re-encode identically, so the same state always has the same hash.
 */
export const MANIFEST_FORMAT = 'cloister/protected-volume/v1';
/** previousHash of version 1: there is no earlier state. */
export const GENESIS_HASH = '0'.repeat(64);

export interface VolumeFileEntry {
  readonly path: string;
  /** Name of the object file under objects/ (32 random lowercase hex digits). */
  readonly object: string;
  /** The volume version that committed this content (bound into the object's AAD). */
  readonly version: number;
  /** Plaintext size in bytes. */
  readonly size: number;
  /** SHA-256 of the object file's bytes, lowercase hex. */
  readonly sha256: string;
}

export interface VolumeManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly volumeId: string;
  readonly version: number;
  readonly previousHash: string;
  readonly files: readonly VolumeFileEntry[];
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  volumeId: z.string(),
  version,
  previousHash: hex64,
  files: z.array(
    z.strictObject({
      path: z.string(),
      object: z.string().regex(/^[0-9a-f]{32}$/),
      version,
      size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      sha256: hex64,
    }),
  ),
});

const byPath = (a: VolumeFileEntry, b: VolumeFileEntry): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function encodeManifest(m: VolumeManifest): Uint8Array {
  const files = [...m.files].sort(byPath).map((f) => ({ path: f.path, object: f.object, version: f.version, size: f.size, sha256: f.sha256 }));
  const ordered = { format: m.format, volumeId: m.volumeId, version: m.version, previousHash: m.previousHash, files };
  return new Uint8Array(Buffer.from(JSON.stringify(ordered), 'utf8'));
}

/** Decodes authenticated manifest bytes; anything unexpected is VOLUME_TAMPERED (it cannot happen without the key). */
export function decodeManifest(bytes: Uint8Array): VolumeManifest {
  const bad = (why: string): never => {
    throw new ProtectError('VOLUME_TAMPERED', `volume manifest: ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    bad('not JSON');
  }
  const r = manifestSchema.safeParse(value);
  if (!r.success) return bad(`unexpected shape at '${r.error.issues[0]?.path.join('.') ?? ''}'`);
  const m = r.data as VolumeManifest;
  const seen = new Set<string>();
  for (const f of m.files) {
    checkVolumePath(f.path);
    if (seen.has(f.path)) bad(`path '${f.path}' listed twice`);
    seen.add(f.path);
    if (f.version > m.version) bad(`file '${f.path}' has version ${f.version}, newer than the manifest's ${m.version}`);
  }
  if (!Buffer.from(encodeManifest(m)).equals(bytes)) bad('not in canonical form');
  return m;
}

/** The volume state hash: SHA-256 over the labelled canonical manifest, lowercase hex. */
export function manifestHash(encoded: Uint8Array): string {
  return createHash('sha256').update(frame(LABEL_STATE_HASH, encoded)).digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
