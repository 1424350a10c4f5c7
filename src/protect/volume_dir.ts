import { join } from 'node:path';
import { listDir, readIfExists, removeFile, TEMP_MARK } from './disk.js';
import { ProtectError } from './errors.js';
import { openManifest, type OpenedManifest } from './manifest_file.js';
import { sha256Hex, type VolumeFileEntry } from './manifest.js';
import { OBJECT_OVERHEAD } from './object_file.js';

/**
 * The layout of a volume directory. File names say nothing about the files they hold:
 *
 *   manifest.<version>   the sealed volume manifest (manifest_file.ts); normally exactly one
 *   objects/<32 hex>     one sealed file content each (object_file.ts), random names
 *   *.tmp-*              leftovers of an interrupted write; never part of any state
 */
export const OBJECTS_DIR = 'objects';
const MANIFEST_NAME = /^manifest\.([1-9][0-9]{0,15})$/;

export const manifestName = (version: number): string => `manifest.${version}`;
export const objectPath = (dir: string, object: string): string => join(dir, OBJECTS_DIR, object);

/** Versions of the manifest files present, newest first. */
export async function manifestVersions(dir: string): Promise<number[]> {
  const versions: number[] = [];
  for (const name of await listDir(dir)) {
    const m = MANIFEST_NAME.exec(name);
    if (m !== null && Number.isSafeInteger(Number(m[1]))) versions.push(Number(m[1]));
  }
  return versions.sort((a, b) => b - a);
}

/** The newest manifest on disk, authenticated; undefined when there is none. */
export async function loadNewestManifest(dir: string, key: Uint8Array, volumeId: string): Promise<OpenedManifest | undefined> {
  const [newest] = await manifestVersions(dir);
  if (newest === undefined) return undefined;
  const bytes = await readIfExists(join(dir, manifestName(newest)));
  if (bytes === undefined) {
    throw new ProtectError('VOLUME_MANIFEST_MISSING', `volume ${volumeId}: ${manifestName(newest)} disappeared while opening`);
  }
  return openManifest(key, volumeId, newest, bytes);
}

/** Reads one object and checks it is the exact bytes the manifest pins (size and SHA-256). */
export async function readObjectChecked(dir: string, entry: VolumeFileEntry): Promise<Uint8Array> {
  const bytes = await readIfExists(objectPath(dir, entry.object));
  if (bytes === undefined) {
    throw new ProtectError('VOLUME_FILE_MISSING', `file '${entry.path}': object ${entry.object} is missing`, { detail: { path: entry.path, object: entry.object } });
  }
  const wantSize = entry.size + OBJECT_OVERHEAD;
  if (bytes.byteLength !== wantSize) {
    throw new ProtectError('VOLUME_TAMPERED', `file '${entry.path}': object is ${bytes.byteLength} bytes, want ${wantSize}`, {
      detail: { path: entry.path, got: bytes.byteLength, want: wantSize },
    });
  }
  const got = sha256Hex(bytes);
  if (got !== entry.sha256) {
    throw new ProtectError('VOLUME_TAMPERED', `file '${entry.path}': object SHA-256 is ${got}, want ${entry.sha256}`, {
      detail: { path: entry.path, got, want: entry.sha256 },
    });
  }
  return bytes;
}

/**
 * Removes what no committed state refers to: older manifests, temp files, and objects the
 * current manifest does not list (written by an uncommitted or superseded write). Runs only
 * after the volume passed the freshness check, so a refused volume is left as found.
 */
export async function collectGarbage(dir: string, keepVersion: number, keepObjects: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for (const name of await listDir(dir)) {
    const m = MANIFEST_NAME.exec(name);
    if ((m !== null && Number(m[1]) !== keepVersion) || name.includes(TEMP_MARK)) {
      await removeFile(join(dir, name));
      removed++;
    }
  }
  for (const name of await listDir(join(dir, OBJECTS_DIR))) {
    if (!keepObjects.has(name)) {
      await removeFile(objectPath(dir, name));
      removed++;
    }
  }
  return removed;
}
