import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { memoryVersionAuthority, openProtectedVolume, type ProtectedVolume, type ProtectedVolumeOptions, type VersionAuthority } from '../../src/protect/index.js';

export const KEY = new Uint8Array(32).fill(7);
export const OTHER_KEY = new Uint8Array(32).fill(8);
export const VOLUME_ID = 'demo/kv-data';

/** A fresh temp directory per call, all removed after the test file. */
const base = mkdtempSync(join(tmpdir(), 'cloister-protect-'));
after(() => rmSync(base, { recursive: true, force: true }));
let counter = 0;
export function freshDir(): string {
  return join(base, `v${++counter}`);
}

export function open(dir: string, versions: VersionAuthority, extra: Partial<ProtectedVolumeOptions> = {}): Promise<ProtectedVolume> {
  return openProtectedVolume({ dir, key: KEY, volumeId: VOLUME_ID, versions, ...extra });
}

/** A volume with two committed files (version 1: 'a.txt' 5 bytes, 'sub/b.bin' 7 bytes), and its authority. */
export async function committedVolume(): Promise<{ dir: string; versions: VersionAuthority; volume: ProtectedVolume }> {
  const dir = freshDir();
  const versions = memoryVersionAuthority();
  const volume = await open(dir, versions);
  await volume.writeFile('a.txt', 'alpha');
  await volume.writeFile('sub/b.bin', new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  await volume.commit();
  return { dir, versions, volume };
}

export const objectNames = (dir: string): string[] => readdirSync(join(dir, 'objects')).sort();
export const manifestNames = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('manifest.')).sort();

/** Snapshot of every file in the volume directory (what an operator could back up and restore). */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const n of readdirSync(dir)) if (n.startsWith('manifest.')) out.set(n, readFileSync(join(dir, n)));
  for (const n of readdirSync(join(dir, 'objects'))) out.set(join('objects', n), readFileSync(join(dir, 'objects', n)));
  return out;
}

/** Replaces the directory's content with a snapshot (an operator restoring a backup). */
export function restore(dir: string, snap: Map<string, Buffer>): void {
  for (const n of readdirSync(dir)) if (n.startsWith('manifest.')) rmSync(join(dir, n));
  for (const n of readdirSync(join(dir, 'objects'))) rmSync(join(dir, 'objects', n));
  for (const [n, bytes] of snap) writeFileSync(join(dir, n), bytes);
}

/** The object holding the file of this plaintext size (object names are random; sizes are not hidden). */
export function objectOfSize(dir: string, size: number): string {
  const found = objectNames(dir).filter((n) => readFileSync(join(dir, 'objects', n)).byteLength === size + 36);
  if (found.length !== 1) throw new Error(`expected one object of plaintext size ${size}, found ${found.length}`);
  return found[0]!;
}
