import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError, removeTempFiles, syncDir, writeFileAtomic } from './atomic_file.js';
import { StoreError } from './errors.js';
import { acquireDirLock } from './lock_file.js';
import { decodeStateFile, encodeStateFile } from './state_file.js';
import { encodeLogRecord, LOG_FILE_SUFFIX, replayLog } from './state_log.js';
import { applyCommitInPlace, checkCommit, checkKey, listSpace, type CommitResult, type KeySpace, type Store } from './store.js';

/**
 * The embedded default store: one state directory owned by one process (LOCK), the whole key
 * space in memory, on disk as a snapshot (`state`, state_file.ts, replaced atomically) plus a
 * write-ahead log of the commits since (`state.log`, state_log.ts). Reads are served from
 * memory: no other process may write the directory while the lock is held.
 *
 * Group commit: commit() checks its compares and applies it in memory at once, in call order
 * (so the next read sees it), and queues its log record; one writer appends all queued records
 * with one write + fdatasync and then resolves their promises. While it waits for the disk,
 * new commits queue for the next group: under load, many commits share one fsync, and a
 * commit costs O(its own size), not O(state). When the log outgrows the snapshot (and at
 * close), the writer writes a new snapshot atomically and empties the log (compaction:
 * amortized O(1) per commit). A crash keeps every acknowledged commit (state_log.ts).
 *
 * After a failed write memory is ahead of the disk and we cannot tell how far: every pending
 * and later commit fails and the store refuses use until it is reopened (which reads the truth).
 */
export const STATE_FILE_NAME = 'state';
const LOG_FILE_NAME = `${STATE_FILE_NAME}${LOG_FILE_SUFFIX}`;
/** Compact when the log is larger than this and than twice the last snapshot. */
const MIN_COMPACT_BYTES = 1024 * 1024;

interface Waiter {
  readonly record: Buffer;
  readonly revision: bigint;
  resolve(r: CommitResult): void;
  reject(e: unknown): void;
}

export async function openFileStore(dir: string): Promise<Store & { readonly dir: string; readonly revision: bigint }> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('creating state directory', dir, e);
  }
  const lock = await acquireDirLock(dir);
  let space: KeySpace;
  let snapshotRevision: bigint;
  let snapshotBytes: number;
  let log: FileHandle | undefined;
  let logBytes = 0;
  try {
    await removeTempFiles(dir, STATE_FILE_NAME);
    ({ space, bytes: snapshotBytes } = await readState(dir));
    snapshotRevision = space.revision;
    ({ log, logBytes } = await openLog(dir, space));
  } catch (e) {
    await log?.close();
    await lock.release();
    throw e;
  }

  let closed = false;
  let broken: StoreError | undefined;
  let queued: Waiter[] = [];
  let writing: Promise<void> | undefined;
  const usable = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', `file store ${dir} used after close()`);
    if (broken !== undefined) throw new StoreError('STORE_IO_FAILED', `file store ${dir} failed an earlier write; reopen it`, { cause: broken });
  };

  /** Writes the key space as the new snapshot and empties the log. */
  async function compact(): Promise<void> {
    const bytes = encodeStateFile(space);
    const revision = space.revision;
    await writeFileAtomic(dir, STATE_FILE_NAME, bytes);
    snapshotRevision = revision;
    snapshotBytes = bytes.byteLength;
    // Records up to `revision` are now in the snapshot; replay skips them if this is lost.
    if (log !== undefined) {
      await log.truncate(0);
      await log.datasync();
    }
    logBytes = 0;
  }

  async function appendGroup(group: Waiter[]): Promise<void> {
    if (logBytes > MIN_COMPACT_BYTES && logBytes > 2 * snapshotBytes) return compact(); // covers this group too
    const created = log === undefined;
    log ??= await open(join(dir, LOG_FILE_NAME), 'a', 0o600);
    const bytes = Buffer.concat(group.map((w) => w.record));
    await log.write(bytes, 0, bytes.length);
    await log.datasync();
    if (created) await syncDir(dir); // a new log file's name must be durable too
    logBytes += bytes.length;
  }

  /** The single writer: drains the queue group by group. */
  async function drain(): Promise<void> {
    while (queued.length > 0 && broken === undefined) {
      const group = queued;
      queued = [];
      try {
        await appendGroup(group);
      } catch (e) {
        broken = e instanceof StoreError ? e : ioError('writing state log in', dir, e);
        for (const w of [...group, ...queued]) w.reject(broken);
        queued = [];
        break;
      }
      for (const w of group) w.resolve({ ok: true, revision: w.revision });
    }
    writing = undefined;
  }

  function enqueue(record: Buffer, revision: bigint): Promise<CommitResult> {
    const p = new Promise<CommitResult>((resolve, reject) => queued.push({ record, revision, resolve, reject }));
    // `writing` is cleared by drain() itself in the same tick its loop sees an empty queue, so a
    // commit queued after that starts a new writer instead of waiting on a finished one.
    writing ??= drain();
    return p;
  }

  /** Resolves when everything applied so far is durable (a read-only commit waits for it). */
  async function durable(): Promise<void> {
    while (writing !== undefined) await writing;
    usable();
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
    commit(ops, o) {
      try {
        usable();
        checkCommit(ops);
      } catch (e) {
        return Promise.reject(e);
      }
      const r = applyCommitInPlace(space, ops);
      if ('conflictKey' in r) {
        const res = { ok: false as const, conflictKey: r.conflictKey };
        o?.onDecided?.(res);
        return Promise.resolve(res);
      }
      if ('unchanged' in r) {
        const revision = space.revision;
        o?.onDecided?.({ ok: true, revision });
        return durable().then(() => ({ ok: true, revision }));
      }
      // decided (applied in memory, ordered in the log queue); durable when the group's write syncs
      const written = enqueue(encodeLogRecord({ revision: r.revision, put: ops.put, delete: ops.delete }), r.revision);
      o?.onDecided?.({ ok: true, revision: r.revision });
      return written;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        while (writing !== undefined) await writing;
        // Leave one file behind: fold the log into the snapshot and remove it.
        if (broken === undefined && log !== undefined) {
          if (space.revision !== snapshotRevision || logBytes > 0) await compact();
          await log.close();
          log = undefined;
          await rm(join(dir, LOG_FILE_NAME), { force: true });
          await syncDir(dir);
        }
      } finally {
        await log?.close();
        await lock.release();
      }
    },
  };
}

async function readState(dir: string): Promise<{ space: KeySpace; bytes: number }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, STATE_FILE_NAME));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { space: { revision: 0n, entries: new Map() }, bytes: 0 };
    throw ioError('reading state file in', dir, e);
  }
  return { space: decodeStateFile(bytes), bytes: bytes.byteLength };
}

/** Replays an existing log onto `space` and cuts off a torn tail; no log file: nothing to do. */
async function openLog(dir: string, space: KeySpace): Promise<{ log: FileHandle | undefined; logBytes: number }> {
  const path = join(dir, LOG_FILE_NAME);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { log: undefined, logBytes: 0 };
    throw ioError('reading state log in', dir, e);
  }
  const valid = replayLog(space, bytes);
  let log: FileHandle;
  try {
    log = await open(path, 'a', 0o600);
    if (valid < bytes.byteLength) {
      await log.truncate(valid);
      await log.datasync();
    }
  } catch (e) {
    throw ioError('opening state log in', dir, e);
  }
  return { log, logBytes: valid };
}
