import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError, removeTempFiles, writeFileAtomic } from './atomic_file.js';
import { StoreError } from './errors.js';
import { acquireDirLock } from './lock_file.js';
import { decodeStateFile, encodeStateFile } from './state_file.js';
import { applyCommit, checkCommit, checkKey, listSpace, type KeySpace, type Store } from './store.js';

/**
 * The embedded default store: one state directory owned by one process (LOCK), the whole key
 * space in one checksummed file (state_file.ts) that every commit replaces atomically and
 * durably (atomic_file.ts). Reads are served from memory: no other process may write the
 * directory while the lock is held.
 *
 * Cost: a commit rewrites the whole file, O(state size). Coordinator state (manifest, CA
 * snapshot, instance records) is small; a write-ahead log would be the next step if it is not.
 * Commits run one at a time in call order.
 */
export const STATE_FILE_NAME = 'state';

export async function openFileStore(dir: string): Promise<Store & { readonly dir: string; readonly revision: bigint }> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('creating state directory', dir, e);
  }
  const lock = await acquireDirLock(dir);
  let space: KeySpace;
  try {
    await removeTempFiles(dir, STATE_FILE_NAME);
    space = await readState(dir);
  } catch (e) {
    await lock.release();
    throw e;
  }

  let closed = false;
  // After a failed write we cannot tell whether the rename reached the disk, so memory and
  // disk may disagree: fail closed until the store is reopened (which reads the truth).
  let broken: StoreError | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const usable = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', `file store ${dir} used after close()`);
    if (broken !== undefined) throw new StoreError('STORE_IO_FAILED', `file store ${dir} failed an earlier write; reopen it`, { cause: broken });
  };

  async function commitNow(ops: Parameters<Store['commit']>[0]): ReturnType<Store['commit']> {
    usable();
    const r = applyCommit(space, ops);
    if ('conflictKey' in r) return { ok: false, conflictKey: r.conflictKey };
    if ('unchanged' in r) return { ok: true, revision: space.revision };
    try {
      await writeFileAtomic(dir, STATE_FILE_NAME, encodeStateFile(r.next));
    } catch (e) {
      broken = e instanceof StoreError ? e : ioError('writing state file in', dir, e);
      throw broken;
    }
    space = r.next;
    return { ok: true, revision: space.revision };
  }

  return {
    dir,
    get revision() {
      return space.revision;
    },
    async get(key) {
      usable();
      checkKey(key);
      const e = space.entries.get(key);
      return e === undefined ? undefined : { value: new Uint8Array(e.value), revision: e.revision };
    },
    async list(prefix) {
      usable();
      return listSpace(space, prefix);
    },
    commit(ops) {
      // Validate before queueing so a bad commit fails fast and never blocks the queue.
      try {
        usable();
        checkCommit(ops);
      } catch (e) {
        return Promise.reject(e);
      }
      const run = queue.then(() => commitNow(ops));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await lock.release();
    },
  };
}

async function readState(dir: string): Promise<KeySpace> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, STATE_FILE_NAME));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { revision: 0n, entries: new Map() };
    throw ioError('reading state file in', dir, e);
  }
  return decodeStateFile(bytes);
}
