import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Random } from '../common/clock.js';
import { toHex } from '../common/bytes.js';
import { NONCE_BYTES } from './aead.js';
import type { VersionAuthority, VolumeState } from './authority.js';
import { createFileExclusive, ensureDir, removeFile, syncDir, writeNewFile } from './disk.js';
import { ProtectError } from './errors.js';
import { sealManifest } from './manifest_file.js';
import { GENESIS_HASH, MANIFEST_FORMAT, sha256Hex, type VolumeFileEntry } from './manifest.js';
import { checkVolumeId, checkVolumeKey, checkVolumePath } from './names.js';
import { openObject, sealObject } from './object_file.js';
import { reconcile } from './reconcile.js';
import { collectGarbage, loadNewestManifest, manifestName, OBJECTS_DIR, objectPath, readObjectChecked } from './volume_dir.js';

export interface ProtectedVolumeOptions {
  /** The volume directory (created on the first write). */
  readonly dir: string;
  /** 32-byte volume key, e.g. a manifest secret; every file and manifest key derives from it. */
  readonly key: Uint8Array;
  readonly volumeId: string;
  /** Remembers the latest committed (version, hash); rollback protection is as strong as it is. */
  readonly versions: VersionAuthority;
  /** Nonces and object names. Default: node:crypto randomBytes (this is a workload-facing entry point). */
  readonly random?: Random;
  /** Check every file's presence, size and SHA-256 on open (default true), so a damaged volume refuses to start. */
  readonly verifyFiles?: boolean;
  /**
   * Inspect only (`cloister protect verify|unseal`): nothing in the directory or the authority
   * changes: no roll-forward is recorded, no garbage removed; writes throw VOLUME_READ_ONLY.
   */
  readonly readOnly?: boolean;
}

export interface ProtectedVolume {
  readonly volumeId: string;
  /** True when the newest manifest is a commit that crashed before the authority recorded it (rolled forward unless readOnly). */
  readonly recovered: boolean;
  /** The last committed state (version 0 with the genesis hash for a new volume). */
  state(): VolumeState;
  /** Paths in the working state (committed plus uncommitted writes and removals), sorted. */
  list(): string[];
  readFile(path: string): Promise<Uint8Array>;
  /** Encrypts and stores `data` durably; it becomes part of the volume state at the next commit(). */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Makes the working state the next version (manifest durable, then authority advanced); a no-op without changes. */
  commit(): Promise<VolumeState>;
}

const systemRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/**
 * Opens (or creates) a protected volume. Refuses to return unless the newest manifest on
 * disk authenticates under the key and matches the authority (reconcile.ts), and, with
 * verifyFiles, every listed file is present and unmodified. Typed ProtectError otherwise.
 * One process may have a volume open at a time (docs/protected-volumes.md).
 */
export async function openProtectedVolume(o: ProtectedVolumeOptions): Promise<ProtectedVolume> {
  const key = new Uint8Array(checkVolumeKey(o.key)); // own copy: the caller may zero theirs
  const volumeId = checkVolumeId(o.volumeId);
  const { dir, versions } = o;
  const random = o.random ?? systemRandom;

  const newest = await loadNewestManifest(dir, key, volumeId);
  const decision = reconcile(volumeId, await versions.get(volumeId), newest);
  let committed: VolumeState = newest === undefined ? { version: 0, hash: GENESIS_HASH } : { version: newest.manifest.version, hash: newest.hash };
  let committedFiles = new Map((newest?.manifest.files ?? []).map((f) => [f.path, f] as const));
  if (o.verifyFiles ?? true) for (const f of committedFiles.values()) await readObjectChecked(dir, f);
  // only a volume that passed every check is recorded (roll-forward) and cleaned; a refused one is left as found
  const readOnly = o.readOnly ?? false;
  if (decision.kind === 'roll-forward' && !readOnly) await versions.advance(volumeId, decision.from, decision.to);
  if (newest !== undefined && !readOnly) await collectGarbage(dir, committed.version, objectsOf(committedFiles));

  const working = new Map(committedFiles);
  let dirty = false;
  let broken: ProtectError | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  // one operation at a time: a commit must not interleave with a write to the same handle
  const exclusive = <T>(fn: () => Promise<T>, writes = true): Promise<T> => {
    const run = async (): Promise<T> => {
      if (broken !== undefined) throw broken;
      if (writes && readOnly) throw new ProtectError('VOLUME_READ_ONLY', `volume ${volumeId} was opened read-only`);
      return fn();
    };
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  };
  const lookup = (path: string): VolumeFileEntry => {
    const entry = working.get(checkVolumePath(path));
    if (entry === undefined) throw new ProtectError('VOLUME_FILE_NOT_FOUND', `volume ${volumeId}: no file '${path}'`, { detail: { path } });
    return entry;
  };
  // an object written since the last commit is referenced by nothing durable: drop it as soon as it is replaced
  const dropIfUncommitted = async (entry: VolumeFileEntry | undefined): Promise<void> => {
    if (entry !== undefined && committedFiles.get(entry.path)?.object !== entry.object) await removeFile(objectPath(dir, entry.object));
  };

  return {
    volumeId,
    recovered: decision.kind === 'roll-forward',
    state: () => ({ ...committed }),
    list: () => [...working.keys()].sort(),
    readFile: (path) =>
      exclusive(async () => {
        const entry = lookup(path);
        const plain = openObject({ volumeKey: key, volumeId, path: entry.path, version: entry.version }, await readObjectChecked(dir, entry));
        if (plain.byteLength !== entry.size) throw new ProtectError('VOLUME_TAMPERED', `file '${path}': ${plain.byteLength} bytes, want ${entry.size}`);
        return plain;
      }, false),
    writeFile: (path, data) =>
      exclusive(async () => {
        checkVolumePath(path);
        const plain = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'utf8')) : data;
        const version = committed.version + 1;
        const object = toHex(random.bytes(16));
        const sealed = sealObject({ volumeKey: key, volumeId, path, version }, random.bytes(NONCE_BYTES), plain);
        await ensureDir(join(dir, OBJECTS_DIR));
        await writeNewFile(objectPath(dir, object), sealed);
        const previous = working.get(path);
        working.set(path, { path, object, version, size: plain.byteLength, sha256: sha256Hex(sealed) });
        dirty = true;
        await dropIfUncommitted(previous);
      }),
    remove: (path) =>
      exclusive(async () => {
        const entry = lookup(path);
        working.delete(entry.path);
        dirty = true;
        await dropIfUncommitted(entry);
      }),
    commit: () =>
      exclusive(async () => {
        if (!dirty) return { ...committed };
        const version = committed.version + 1;
        const manifest = { format: MANIFEST_FORMAT, volumeId, version, previousHash: committed.hash, files: [...working.values()] } as const;
        const sealed = sealManifest(key, manifest, random.bytes(NONCE_BYTES));
        await ensureDir(join(dir, OBJECTS_DIR));
        await syncDir(join(dir, OBJECTS_DIR)); // the objects' names must be durable before a manifest names them
        if (version === 1) await syncDir(dirname(resolve(dir))); // a new volume directory's own name must be durable too
        if (!(await createFileExclusive(join(dir, manifestName(version)), sealed.bytes))) {
          throw new ProtectError('VOLUME_CONCURRENT_COMMIT', `volume ${volumeId}: ${manifestName(version)} already exists (another writer committed version ${version})`);
        }
        try {
          await versions.advance(volumeId, committed.version, { version, hash: sealed.hash });
        } catch (cause) {
          // the manifest is durable but unrecorded: only reconcile's roll-forward rule may decide what it means now
          broken = new ProtectError(
            'VOLUME_COMMIT_INCOMPLETE',
            `volume ${volumeId}: version ${version} is on disk but the authority did not record it (${cause instanceof Error ? cause.message : String(cause)}); reopen the volume`,
            { cause, detail: { version, hash: sealed.hash } },
          );
          throw broken;
        }
        committed = { version, hash: sealed.hash };
        committedFiles = new Map(working);
        dirty = false;
        // best effort: garbage left by a failure here is removed by the next open
        await collectGarbage(dir, version, objectsOf(committedFiles)).catch(() => 0);
        return { ...committed };
      }),
  };
}

function objectsOf(files: ReadonlyMap<string, VolumeFileEntry>): Set<string> {
  return new Set([...files.values()].map((f) => f.object));
}
