import { link, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Random } from '../common/clock.js';
import { createFileExclusive, ioError, syncDir, writeFileAtomic } from './atomic_file.js';
import { sealDataKey, unsealDataKey, type SealingKeyProvider, type UnsealResult } from './sealing.js';

/**
 * The sealed data key lives beside the state file as `sealed-data-key`. It is written once
 * (create-only, atomic and durable) and never overwritten on open: when it cannot be opened,
 * the coordinator goes to `recovery` and the old blob stays, because recovery may still open it
 * (e.g. after the platform secret or the TEE comes back). Only a completed recovery replaces it
 * (resealDataKey), and even then the old blob is kept beside it under another name.
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

/**
 * After recovery by key holders: seals `dataKey` under the platform's CURRENT sealing provider
 * and replaces `sealed-data-key` with it (temp file + fsync + rename, so a crash leaves the old
 * or the new blob, never a torn one). The old blob is first hard-linked to
 * `sealed-data-key.replaced-<timestamp>` and kept: it is what the old platform could still open,
 * and a recovery should never destroy evidence. Returns the name the old blob was kept under
 * (undefined when there was none).
 */
export async function resealDataKey(o: { dir: string; provider: SealingKeyProvider; dataKey: Uint8Array; random: Random; now: Date }): Promise<string | undefined> {
  const sealed = await sealDataKey(o.provider, o.dataKey, o.random);
  const path = join(o.dir, SEALED_DATA_KEY_FILE);
  // ISO time without ':' and '.', which some file systems and tools dislike in names.
  const stamp = `${SEALED_DATA_KEY_FILE}.replaced-${o.now.toISOString().replace(/[:.]/g, '-')}`;
  let keptName: string | undefined;
  // link(2) never overwrites: a second reseal within the same millisecond gets a numbered name.
  for (let n = 0; keptName === undefined; n++) {
    const name = n === 0 ? stamp : `${stamp}-${n}`;
    try {
      await link(path, join(o.dir, name));
      keptName = name;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') break; // no old blob to keep
      if (code !== 'EEXIST' || n >= 100) throw ioError('keeping the replaced sealed data key as', join(o.dir, name), e);
    }
  }
  if (keptName !== undefined) await syncDir(o.dir);
  await writeFileAtomic(o.dir, SEALED_DATA_KEY_FILE, sealed);
  return keptName;
}
