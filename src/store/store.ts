import { StoreError } from './errors.js';

/**
 * The coordinator's storage contract, shaped like an etcd transaction (etcd api/etcdserverpb
 * `TxnRequest`: compare on `mod_revision`, then puts/deletes applied atomically) so an
 * etcd-backed store drops in later without touching the coordinator.
 *
 * Revisions follow etcd: the store has one revision counter, every commit that writes raises
 * it by one, and each key remembers the revision of the commit that last wrote it (etcd's
 * `mod_revision`). A compare of `0n` means "the key is absent" (etcd: `mod_revision == 0`).
 * A commit with no put or delete writes nothing and keeps the revision (etcd does the same
 * for read-only transactions).
 *
 * Keys are '/'-separated strings such as `workloads/api/instances/3`; they are stored in
 * plaintext (a sealed store encrypts values only) and list() matches them by string prefix.
 */
export interface StoreEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly revision: bigint;
}

export interface CommitOps {
  /** Every key must be at exactly this revision (0n = absent), or nothing is written. */
  readonly compare: ReadonlyArray<{ readonly key: string; readonly revision: bigint }>;
  readonly put: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array }>;
  readonly delete: readonly string[];
}

export type CommitResult = { readonly ok: true; readonly revision: bigint } | { readonly ok: false; readonly conflictKey: string };

export interface Store {
  get(key: string): Promise<{ value: Uint8Array; revision: bigint } | undefined>;
  /** Entries whose key starts with `prefix` ('' = all), sorted by key. */
  list(prefix: string): Promise<StoreEntry[]>;
  /**
   * The file and memory stores decide the compares and order a commit when commit() is
   * called, so a read made after the call sees its writes; the promise resolves once the commit
   * (and every commit ordered before it) is durable. A store may also order commits later
   * (etcd: when the transaction reaches the leader): callers must not rely on either.
   */
  commit(ops: CommitOps, o?: CommitOptions): Promise<CommitResult>;
  close(): Promise<void>;
}

export interface CommitOptions {
  /**
   * Called once the store has decided the commit (compares checked, order fixed, visible to
   * reads), which may be before it is durable. The file and memory stores call it inside
   * commit(); a store that cannot tell (etcd: decided and durable arrive together) may never
   * call it, so callers must also await the promise. Lets a group-committing caller build its
   * next commit on this one while this one is still being written.
   */
  readonly onDecided?: (result: CommitResult) => void;
}

/** Longest key in bytes (etcd's default request limit is far larger; ours keeps file entries small). */
export const MAX_KEY_BYTES = 1024;
/** Largest single value: state documents (manifest, CA snapshot) are kilobytes, not megabytes. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;

// Printable ASCII and non-ASCII text; control characters would make file and log output ambiguous.
const SEGMENT_RE = /^[^\u0000-\u001f\u007f/]+$/u;

/** Throws STORE_KEY_INVALID unless `key` is 1+ '/'-separated non-empty segments (no '.', '..', controls). */
export function checkKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  const bad = (why: string): never => {
    throw new StoreError('STORE_KEY_INVALID', `store key ${JSON.stringify(key)} is invalid: ${why}`);
  };
  if (bytes === 0) bad('empty');
  if (bytes > MAX_KEY_BYTES) bad(`got ${bytes} bytes, want at most ${MAX_KEY_BYTES}`);
  for (const seg of key.split('/')) {
    if (seg === '') bad('empty segment (leading, trailing or double /)');
    if (seg === '.' || seg === '..') bad(`segment '${seg}'`);
    if (!SEGMENT_RE.test(seg)) bad('control character');
  }
}

/** Throws STORE_COMMIT_INVALID / STORE_KEY_INVALID for a commit no store should apply. */
export function checkCommit(ops: CommitOps): void {
  const compared = new Set<string>();
  for (const c of ops.compare) {
    checkKey(c.key);
    if (compared.has(c.key)) throw new StoreError('STORE_COMMIT_INVALID', `commit compares key ${JSON.stringify(c.key)} twice`);
    if (typeof c.revision !== 'bigint' || c.revision < 0n) {
      throw new StoreError('STORE_COMMIT_INVALID', `commit compare on ${JSON.stringify(c.key)}: got revision ${String(c.revision)}, want a bigint >= 0n`);
    }
    compared.add(c.key);
  }
  // etcd rejects a transaction that writes one key twice ("duplicate key given in txn request").
  const written = new Set<string>();
  const writes = [...ops.put.map((p) => p.key), ...ops.delete];
  for (const key of writes) {
    checkKey(key);
    if (written.has(key)) throw new StoreError('STORE_COMMIT_INVALID', `commit writes key ${JSON.stringify(key)} twice`);
    written.add(key);
  }
  for (const p of ops.put) {
    if (!(p.value instanceof Uint8Array)) throw new StoreError('STORE_COMMIT_INVALID', `commit put ${JSON.stringify(p.key)}: value is not bytes`);
    if (p.value.byteLength > MAX_VALUE_BYTES) {
      throw new StoreError('STORE_COMMIT_INVALID', `commit put ${JSON.stringify(p.key)}: got ${p.value.byteLength} bytes, want at most ${MAX_VALUE_BYTES}`);
    }
  }
}

/** The in-memory key space both the memory and the file store keep: key -> value + mod revision. */
export interface KeySpace {
  revision: bigint;
  readonly entries: Map<string, { value: Uint8Array; revision: bigint }>;
}

/**
 * Applies a checked commit to a copy of `space` and returns the copy, or the first key whose
 * compare fails. The caller persists the copy before it replaces `space`, so a failed write
 * leaves the old state in memory too.
 */
export function applyCommit(space: KeySpace, ops: CommitOps): { next: KeySpace } | { conflictKey: string } | { unchanged: true } {
  for (const c of ops.compare) {
    const have = space.entries.get(c.key)?.revision ?? 0n;
    if (have !== c.revision) return { conflictKey: c.key };
  }
  if (ops.put.length === 0 && ops.delete.length === 0) return { unchanged: true };
  const revision = space.revision + 1n;
  const entries = new Map(space.entries);
  // Values are copied so a caller reusing its buffer cannot change committed state.
  for (const p of ops.put) entries.set(p.key, { value: new Uint8Array(p.value), revision });
  for (const key of ops.delete) entries.delete(key);
  return { next: { revision, entries } };
}

/**
 * The same, applied to `space` itself (no O(size) copy per commit). For a store that keeps
 * no old state to fall back to: the file store refuses all use after a failed write instead.
 */
export function applyCommitInPlace(space: KeySpace, ops: CommitOps): { conflictKey: string } | { unchanged: true } | { revision: bigint } {
  for (const c of ops.compare) {
    const have = space.entries.get(c.key)?.revision ?? 0n;
    if (have !== c.revision) return { conflictKey: c.key };
  }
  if (ops.put.length === 0 && ops.delete.length === 0) return { unchanged: true };
  const revision = space.revision + 1n;
  for (const p of ops.put) space.entries.set(p.key, { value: new Uint8Array(p.value), revision });
  for (const key of ops.delete) space.entries.delete(key);
  space.revision = revision;
  return { revision };
}

/** Sorted entries of `space` under `prefix`, values copied out. */
export function listSpace(space: KeySpace, prefix: string): StoreEntry[] {
  const out: StoreEntry[] = [];
  for (const [key, e] of space.entries) if (key.startsWith(prefix)) out.push({ key, value: new Uint8Array(e.value), revision: e.revision });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
