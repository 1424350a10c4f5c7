import { circuitBreaker, ConsecutiveBreaker, ConstantBackoff, ExponentialBackoff, handleWhen, isBrokenCircuitError, retry, type IBackoff } from 'cockatiel';
import { Etcd3, isRecoverableError, type ICompare, type IKeyValue, type IRequestOp } from 'etcd3';
import { callEtcd, classifyEtcdError, type EtcdCallContext } from './etcd_call.js';
import { createLeaderElection, type LeaderElection } from './etcd_election.js';
import { parseEtcdOptions, type EtcdStoreOptions } from './etcd_options.js';
import { watchState, type StoreChange, type StoreWatch, type WatchOptions } from './etcd_watch.js';
import { StoreError } from './errors.js';
import { checkCommit, checkKey, type CommitOps, type CommitResult, type Store, type StoreEntry } from './store.js';

/**
 * The Store contract on etcd v3 (the `etcd3` client over gRPC). Layout under the prefix
 * (default `/cloister/`): `state/<key>` holds store values (opaque bytes; the sealed store
 * on top encrypts them), `election/<name>/<lease>` the leader election keys.
 *
 * A commit is one etcd transaction (etcd api/etcdserverpb/rpc.proto `TxnRequest`):
 *   compare: per key, `create_revision == 0` when the caller wants it absent (etcd's own idiom,
 *            client/v3/concurrency/mutex.go), else `mod_revision == revision`;
 *   success: the puts and deletes;
 *   failure: a keys-only range of every compared key, read in the same transaction.
 * The failure branch shows the revisions etcd compared against, so `conflictKey` (the first
 * compare in order that failed, as in the memory store) needs no second, racy read.
 *
 * Store revisions are etcd's cluster revision: they rise with every write to the cluster, not
 * only this prefix, so callers compare revisions for equality and order, never count them.
 */
export interface EtcdStore extends Store {
  /** Calls `onChange` for every put/delete under `prefix` of the state keys ('' = all). */
  watch(prefix: string, onChange: (change: StoreChange) => void, o?: WatchOptions): Promise<StoreWatch>;
  /** Leader election `name` with a lease of `ttlSeconds` (etcd3 Election). */
  leaderElection(name: string, ttlSeconds: number): LeaderElection;
}

const STATE_DIR = 'state/';
const LIST_PAGE = 256;

/** etcd's prefix range end: the prefix with its last byte below 0xff raised by one (etcd client/v3/op.go getPrefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the key space
}

const byKey = (a: StoreEntry, b: StoreEntry): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Opens the store and checks that the cluster answers (STORE_ETCD_UNAVAILABLE within timeoutMs if not). */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const conn = parseEtcdOptions(options);
  const ctx: EtcdCallContext = { endpoints: conn.endpoints, timeoutMs: conn.timeoutMs };
  const client = new Etcd3({
    hosts: [...conn.hosts],
    ...(conn.credentials === undefined ? {} : { credentials: conn.credentials }),
    // Values can be up to MAX_VALUE_BYTES and a list page holds many; gRPC's 4 MiB default is too small.
    grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 },
    dialTimeout: conn.timeoutMs,
    faultHandling: {
      // Only calls that never reached a member are retried inside the client (election and
      // lease calls included); store operations add their own deadline-bound retries (etcd_call.ts).
      global: retry(handleWhen((e) => isBrokenCircuitError(e) || classifyEtcdError(e) === 'not-sent'), { maxAttempts: conn.hosts.length, backoff: new ConstantBackoff(20) }),
      // etcd3's default breaker, but a restarted member is tried again after 1 s instead of 5 s.
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
      // Watches reconnect within a second (etcd3's default backs off to 30 s), so replicas see
      // changes soon after a member loss and a closed client leaves no long reconnect timer behind.
      // etcd3 types this as IBackoff but calls only .next() on it, which the factory provides.
      watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
    },
  });
  const root = client.namespace(conn.prefix);
  const state = client.namespace(`${conn.prefix}${STATE_DIR}`);
  const statePrefix = Buffer.from(`${conn.prefix}${STATE_DIR}`, 'utf8');
  const full = (key: string): Buffer => Buffer.concat([statePrefix, Buffer.from(key, 'utf8')]);
  const short = (kv: IKeyValue): string => kv.key.subarray(statePrefix.length).toString('utf8');

  let closed = false;
  const open = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', 'etcd store used after close()');
  };
  const watches = new Set<StoreWatch>();
  const campaigns = new Set<() => Promise<void>>();

  async function list(prefix: string): Promise<StoreEntry[]> {
    const start = full(prefix);
    const end = prefixEnd(start);
    return callEtcd(ctx, { name: `list ${JSON.stringify(prefix)}`, mutation: false }, async ({ deadline }) => {
      // Pages at one revision: together they are one consistent snapshot (etcdctl's paging).
      const out: StoreEntry[] = [];
      let from = start;
      let revision: string | undefined;
      for (;;) {
        const res = await client.kv.range({ key: from, range_end: end, limit: LIST_PAGE, ...(revision === undefined ? {} : { revision }) }, { deadline });
        revision ??= res.header.revision;
        for (const kv of res.kvs) out.push({ key: short(kv), value: new Uint8Array(kv.value), revision: BigInt(kv.mod_revision) });
        const last = res.kvs[res.kvs.length - 1];
        if (!res.more || last === undefined) break;
        from = Buffer.concat([last.key, Buffer.from([0])]);
      }
      // etcd orders by UTF-8 bytes; the contract orders like the memory store (JS string order).
      return out.sort(byKey);
    });
  }

  async function commit(ops: CommitOps): Promise<CommitResult> {
    const compare: ICompare[] = ops.compare.map((c) =>
      c.revision === 0n
        ? { key: full(c.key), target: 'Create', result: 'Equal', create_revision: '0' }
        : { key: full(c.key), target: 'Mod', result: 'Equal', mod_revision: c.revision.toString() },
    );
    const success: IRequestOp[] = [
      ...ops.put.map((p): IRequestOp => ({ request_put: { key: full(p.key), value: Buffer.from(p.value) } })),
      ...ops.delete.map((k): IRequestOp => ({ request_delete_range: { key: full(k) } })),
    ];
    const failure: IRequestOp[] = ops.compare.map((c) => ({ request_range: { key: full(c.key), keys_only: true } }));
    const res = await callEtcd(ctx, { name: 'commit', mutation: success.length > 0 }, ({ deadline }) => client.kv.txn({ compare, success, failure }, { deadline }));
    if (res.succeeded) return { ok: true, revision: BigInt(res.header.revision) };
    for (const [i, c] of ops.compare.entries()) {
      const kv = res.responses[i]?.response_range?.kvs[0];
      const have = kv === undefined ? 0n : BigInt(kv.mod_revision);
      if (have !== c.revision) return { ok: false, conflictKey: c.key };
    }
    // etcd said a compare failed but its own snapshot matches every compare: never expected.
    throw new StoreError('STORE_ETCD_REJECTED', `etcd commit failed its compares, but the keys it read back match: ${ops.compare.map((c) => `${c.key}@${c.revision}`).join(', ')}`);
  }

  const store: EtcdStore = {
    async get(key) {
      open();
      checkKey(key);
      const res = await callEtcd(ctx, { name: `get ${JSON.stringify(key)}`, mutation: false }, ({ deadline }) => client.kv.range({ key: full(key) }, { deadline }));
      const kv = res.kvs[0];
      return kv === undefined ? undefined : { value: new Uint8Array(kv.value), revision: BigInt(kv.mod_revision) };
    },
    async list(prefix) {
      open();
      return list(prefix);
    },
    async commit(ops) {
      open();
      checkCommit(ops);
      return commit(ops);
    },
    async watch(prefix, onChange, o = {}) {
      open();
      const w = await watchState(state, prefix, onChange, o, ctx);
      watches.add(w);
      return {
        async close() {
          watches.delete(w);
          await w.close();
        },
      };
    },
    leaderElection(name, ttlSeconds) {
      open();
      return createLeaderElection(root, name, ttlSeconds, ctx, (abandon) => {
        campaigns.add(abandon);
        return () => campaigns.delete(abandon);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      // Resign first so the next candidate need not wait out our lease; errors do not block closing.
      await Promise.allSettled([...campaigns].map((abandon) => abandon()));
      await Promise.allSettled([...watches].map((w) => w.close()));
      client.close();
    },
  };

  try {
    // Fail fast on a wrong address or a cluster without quorum, not on the first request.
    await callEtcd(ctx, { name: 'connect', mutation: false }, ({ deadline }) => client.kv.range({ key: statePrefix, range_end: prefixEnd(statePrefix), count_only: true }, { deadline }));
  } catch (e) {
    client.close();
    throw e;
  }
  return store;
}
