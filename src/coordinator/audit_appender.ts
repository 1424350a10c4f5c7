import {
  AUDIT_ENTRY_PREFIX,
  AUDIT_HEAD_KEY,
  EMPTY_AUDIT_LOG,
  appendManyOps,
  checkEntryInput,
  decodeHead,
  type AuditEntryInput,
  type AuditHead,
  type AuditRecord,
  type AuditSigner,
  type StoredAuditHead,
} from '../audit/index.js';
import { MAX_VALUE_BYTES, checkKey, type CommitOps, type CommitResult, type Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';

/**
 * Every coordinator state change commits together with its signed audit entry, in ONE store
 * commit that compares `audit/head` at the revision read: the chain cannot fork (also with
 * several replicas on one etcd, issue #8) and a crash cannot keep a change without its entry.
 *
 * Group commit: one worker takes the queued items FIFO into a batch, chains their entries from
 * the head, merges everything into one commit and waits for it; items arriving meanwhile queue
 * for the next batch, so under load many changes share one fsync (file store) or one etcd
 * round trip, where "read head, commit, repeat" under a mutex would pay one each.
 *
 * An item joins a batch only if its keys (compare + put + delete) are disjoint from every key
 * of the items before it in the queue, taken or not: a key is never written twice in one
 * commit (etcd: "duplicate key given in txn request") and items on one key commit in the
 * order they were queued.
 */
export interface AuditedCommit {
  readonly ops: CommitOps;
  readonly entry: AuditEntryInput;
  /**
   * Called once the store has decided this item (committed in memory and ordered, or refused on
   * one of its compares), possibly before it is durable: a caller holding a lock for the keys it
   * compared may release it then, as later readers already see the write.
   */
  readonly onDecided?: () => void;
}
export type AuditedCommitResult =
  | { readonly ok: true; readonly revision: bigint; readonly record: AuditRecord }
  | { readonly ok: false; readonly conflictKey: string };

export interface AuditAppender {
  /** Commits `ops` and one audit entry atomically. ok:false = one of YOUR compares failed (re-read and retry). */
  commit(c: AuditedCommit): Promise<AuditedCommitResult>;
  /** The head as last committed by anyone (reads the store). */
  head(): Promise<AuditHead>;
  /** Waits for queued commits; further commit() calls reject (coordinator shutdown). */
  close(): Promise<void>;
}

export interface AuditAppenderOptions {
  readonly store: Store;
  readonly signer: AuditSigner;
  /** Most items per commit (default 256). */
  readonly maxBatch?: number;
  /**
   * Most compares, and most puts + deletes, per commit (default 128: etcd's default
   * `--max-txn-ops`, etcd server/etcdserver/api/v3rpc/key.go checkTxnReq). A single item
   * above it is still sent alone, as it would be without the appender.
   */
  readonly maxTxnOps?: number;
  /** Most key + value bytes per commit (default 1 MiB, under etcd's default 1.5 MiB `--max-request-bytes`). */
  readonly maxBatchBytes?: number;
}

/** After this many head conflicts in a row the batch fails with AUDIT_APPEND_CONTENDED. */
export const MAX_HEAD_CONFLICTS = 20;

interface Queued {
  readonly ops: CommitOps;
  readonly entry: AuditEntryInput;
  readonly keys: ReadonlySet<string>;
  /** ops counted the way etcd limits them: [compares, puts + deletes], audit entry included */
  readonly compares: number;
  readonly writes: number;
  readonly bytes: number;
  readonly onDecided: (() => void) | undefined;
  resolve(r: AuditedCommitResult): void;
  reject(e: unknown): void;
}

const isAuditKey = (key: string): boolean => key === AUDIT_HEAD_KEY || key.startsWith(AUDIT_ENTRY_PREFIX);
// An entry record is its detail plus ~350 bytes of fields (hashes, signature, seq, time, actor),
// and its key is compared and written: a bound for the byte budget, not an exact size.
const ENTRY_BYTES_ESTIMATE = 512;

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1) throw new CoordinatorError('AUDIT_APPENDER_CONFIG_INVALID', `audit appender ${name}: got ${String(v)}, want an integer >= 1`);
  return v;
}

/** Checks one item on its own, so a bad item is rejected alone instead of failing a whole batch. */
function prepare(c: AuditedCommit): Omit<Queued, 'resolve' | 'reject'> {
  checkEntryInput(c.entry);
  const keys = new Set<string>();
  const compared = new Set<string>();
  const invalid = (why: string): never => {
    throw new CoordinatorError('AUDIT_COMMIT_INVALID', `audited commit: ${why}`);
  };
  // The same checks as the store's checkCommit (store.ts): one item failing them inside the
  // merged commit would fail every item of its batch.
  let bytes = ENTRY_BYTES_ESTIMATE + Buffer.byteLength(JSON.stringify(c.entry.detail), 'utf8');
  for (const { key, revision } of c.ops.compare) {
    checkKey(key);
    if (compared.has(key)) invalid(`compares key ${JSON.stringify(key)} twice`);
    if (typeof revision !== 'bigint' || revision < 0n) invalid(`compare on ${JSON.stringify(key)}: got revision ${String(revision)}, want a bigint >= 0n`);
    compared.add(key);
    keys.add(key);
    bytes += Buffer.byteLength(key, 'utf8');
  }
  const written = new Set<string>();
  for (const key of [...c.ops.put.map((p) => p.key), ...c.ops.delete]) {
    checkKey(key);
    if (written.has(key)) invalid(`writes key ${JSON.stringify(key)} twice`);
    written.add(key);
    keys.add(key);
    bytes += Buffer.byteLength(key, 'utf8');
  }
  for (const key of keys) if (isAuditKey(key)) invalid(`touches ${JSON.stringify(key)}; only the appender writes the audit log`);
  for (const p of c.ops.put) {
    if (!(p.value instanceof Uint8Array)) invalid(`put ${JSON.stringify(p.key)}: value is not bytes`);
    if (p.value.byteLength > MAX_VALUE_BYTES) invalid(`put ${JSON.stringify(p.key)}: got ${p.value.byteLength} bytes, want at most ${MAX_VALUE_BYTES}`);
    bytes += p.value.byteLength;
  }
  // Captured now: a caller reusing its arrays after commit() cannot change what is committed.
  const ops: CommitOps = { compare: [...c.ops.compare], put: c.ops.put.map((p) => ({ key: p.key, value: new Uint8Array(p.value) })), delete: [...c.ops.delete] };
  const entry: AuditEntryInput = { ...c.entry, time: new Date(c.entry.time.getTime()), detail: JSON.parse(JSON.stringify(c.entry.detail)) };
  return { ops, entry, keys, compares: ops.compare.length + 1, writes: ops.put.length + ops.delete.length + 1, bytes, onDecided: c.onDecided };
}

export function createAuditAppender(o: AuditAppenderOptions): AuditAppender {
  const { store, signer } = o;
  const maxBatch = positive('maxBatch', o.maxBatch, 256);
  const maxTxnOps = positive('maxTxnOps', o.maxTxnOps, 128);
  const maxBatchBytes = positive('maxBatchBytes', o.maxBatchBytes, 1024 * 1024);
  let queue: Queued[] = [];
  let worker: Promise<void> | undefined;
  let closed = false;
  // The head after our own last commit; undefined = read it from the store before the next batch.
  let cached: StoredAuditHead | undefined;
  // batches decided but not yet durable (their items resolve when they are)
  const pending = new Set<Promise<void>>();

  async function readHead(): Promise<StoredAuditHead> {
    const got = await store.get(AUDIT_HEAD_KEY);
    return got === undefined ? EMPTY_AUDIT_LOG : { head: decodeHead(got.value), revision: got.revision };
  }

  /** The next batch: FIFO, skipping (and blocking the keys of) items that overlap an earlier one. */
  function takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const claimed = new Set<string>();
    // the audit head, entry keys and the head put of the batch itself
    let compares = 1;
    let writes = 1;
    let bytes = 0;
    for (const [n, item] of queue.entries()) {
      if (batch.length === maxBatch) {
        rest.push(...queue.slice(n));
        break;
      }
      const fits =
        batch.length === 0 ||
        (compares + item.compares <= maxTxnOps && writes + item.writes <= maxTxnOps && bytes + item.bytes <= maxBatchBytes);
      let free = true;
      for (const k of item.keys) if (claimed.has(k)) free = false;
      for (const k of item.keys) claimed.add(k);
      if (fits && free) {
        batch.push(item);
        compares += item.compares;
        writes += item.writes;
        bytes += item.bytes;
      } else rest.push(item);
    }
    queue = rest;
    return batch;
  }

  /**
   * Commits one batch, dropping items whose own compares fail and retrying on head races.
   * Returns once the store has DECIDED the batch (file and memory stores: at once; etcd: when it
   * answers), so the next batch can be built on it while this one is still being made durable
   * (pipelining); the items resolve when it is durable.
   */
  async function commitBatch(batch: Queued[]): Promise<void> {
    let items = batch;
    let headConflicts = 0;
    while (items.length > 0) {
      let res: CommitResult;
      let built: ReturnType<typeof appendManyOps>;
      let durable: Promise<CommitResult>;
      try {
        const current = cached ?? (await readHead());
        built = appendManyOps(current, items.map((i) => i.entry), signer);
        let decide: ((r: CommitResult) => void) | undefined;
        const decided = new Promise<CommitResult>((r) => (decide = r));
        // Audit compares first: the stores report the FIRST failed compare, so a conflict on an
        // item's key also proves the head was current and the cache may stay.
        durable = store.commit(
          {
            compare: [...built.storeOps.compare, ...items.flatMap((i) => i.ops.compare)],
            put: [...items.flatMap((i) => i.ops.put), ...built.storeOps.put],
            delete: items.flatMap((i) => i.ops.delete),
          },
          { onDecided: (r) => decide!(r) },
        );
        res = await Promise.race([decided, durable]);
      } catch (e) {
        // Usually nothing was written; an etcd STORE_ETCD_COMMIT_UNKNOWN may have been, so re-read.
        cached = undefined;
        for (const i of items) i.reject(e);
        return;
      }
      if (res.ok) {
        const revision = res.revision;
        cached = { head: built.newHead, revision };
        const these = items;
        const records = built.records;
        for (const i of these) i.onDecided?.();
        const done: Promise<void> = durable
          .then(
            () => these.forEach((i, n) => i.resolve({ ok: true, revision, record: records[n]! })),
            (e: unknown) => {
              // decided but not durable (the file store then refuses all further use): nothing
              // built on it can land either, so forget the head and fail these items
              cached = undefined;
              for (const i of these) i.reject(e);
            },
          )
          .finally(() => pending.delete(done));
        pending.add(done);
        return;
      }
      const conflictKey = res.conflictKey;
      const owner = isAuditKey(conflictKey) ? -1 : items.findIndex((i) => i.keys.has(conflictKey));
      if (owner >= 0) {
        items[owner]!.onDecided?.();
        items[owner]!.resolve({ ok: false, conflictKey });
        items = items.filter((_, n) => n !== owner);
        headConflicts = 0;
        continue;
      }
      // Another writer appended (or, against the Store contract, a key nobody compared): re-read.
      cached = undefined;
      headConflicts += 1;
      if (headConflicts >= MAX_HEAD_CONFLICTS) {
        const err = new CoordinatorError('AUDIT_APPEND_CONTENDED', `audit append: ${headConflicts} conflicts in a row on ${JSON.stringify(conflictKey)}, want fewer than ${MAX_HEAD_CONFLICTS}`, {
          detail: { conflictKey, attempts: headConflicts },
        });
        for (const i of items) i.reject(err);
        return;
      }
    }
  }

  async function work(): Promise<void> {
    try {
      while (queue.length > 0) await commitBatch(takeBatch());
    } finally {
      // Cleared in the same tick the loop sees an empty queue (as in file_store.ts drain()), so a
      // commit queued after that starts a new worker instead of waiting on a finished one.
      worker = undefined;
    }
  }

  return {
    commit(c) {
      if (closed) return Promise.reject(new CoordinatorError('AUDIT_APPENDER_CLOSED', 'audit appender: commit() after close()'));
      let prepared: Omit<Queued, 'resolve' | 'reject'>;
      try {
        prepared = prepare(c);
      } catch (e) {
        return Promise.reject(e);
      }
      const p = new Promise<AuditedCommitResult>((resolve, reject) => queue.push({ ...prepared, resolve, reject }));
      // Started a microtask later, so a burst of commit() calls in one tick forms one batch.
      worker ??= Promise.resolve().then(work);
      return p;
    },
    async head() {
      return (await readHead()).head;
    },
    async close() {
      closed = true;
      while (worker !== undefined) await worker;
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
