import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Random } from '../common/clock.js';
import { createFileExclusive, ioError } from './atomic_file.js';
import { sealDataKey, unsealDataKey, type SealingKeyProvider, type UnsealResult } from './sealing.js';

/**
 * The sealed data key lives beside the state file as `sealed-data-key`. It is written once
 * (create-only, atomic and durable) and never overwritten: when it cannot be opened, the
 * coordinator goes to `recovery` and the old blob stays, because recovery may still open it
 * (e.g. after the platform secret or the TEE comes back).
 */
export const SEALED_DATA_KEY_FILE = 'sealed-data-key';

export type DataKeyResult =
  | { readonly state: 'unsealed'; readonly dataKey: Uint8Array; readonly created: boolean }
  | Extract<UnsealResult, { state: 'sealed-unavailable' }>;

/**
 * Opens the state directory's data key, creating and sealing a fresh one on first start.
 * Unseal failures are results; I/O failures throw StoreError STORE_IO_FAILED (transient,
 * not a reason to enter recovery).
 */
export async function openDataKey(o: { dir: string; provider: SealingKeyProvider; random: Random }): Promise<DataKeyResult> {
  const path = join(o.dir, SEALED_DATA_KEY_FILE);
  const existing = await readIfPresent(path);
  if (existing !== undefined) return unsealOrReport(o.provider, existing);

  try {
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('creating state directory', o.dir, e);
  }
  const dataKey = o.random.bytes(32);
  const sealed = await sealDataKey(o.provider, dataKey, o.random);
  if (await createFileExclusive(o.dir, SEALED_DATA_KEY_FILE, sealed)) return { state: 'unsealed', dataKey, created: true };
  // Another process created it between our read and our create: use theirs, never replace it.
  const raced = await readIfPresent(path);
  if (raced === undefined) throw ioError('reading sealed data key', path, new Error('vanished after EEXIST'));
  return unsealOrReport(o.provider, raced);
}

async function unsealOrReport(provider: SealingKeyProvider, sealed: Uint8Array): Promise<DataKeyResult> {
  const r = await unsealDataKey(provider, sealed);
  return r.state === 'unsealed' ? { state: 'unsealed', dataKey: r.dataKey, created: false } : r;
}

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('reading sealed data key', path, e);
  }
}
