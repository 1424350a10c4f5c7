import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AUDIT_HEAD_KEY, EMPTY_AUDIT_LOG, appendOps, auditSigner, decodeAuditRecord, decodeHead, verifyAuditLog, type AuditEntryInput, type AuditRecord } from '../../src/audit/index.js';
import { createAuditAppender, MAX_HEAD_CONFLICTS, type AuditedCommit, type AuditedCommitResult } from '../../src/coordinator/audit_appender.js';
import { createMemoryStore, openFileStore, StoreError, type CommitOps, type Store } from '../../src/store/index.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = auditSigner(key.privateKey);
const T0 = Date.parse('2025-05-06T07:08:09.000Z');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function entry(i: number, actor = 'coordinator'): AuditEntryInput {
  return { time: new Date(T0 + i), kind: 'workload.activated', actor, detail: { i } };
}
/** A change that creates `k` (compare absent) and records it. */
function create(k: string, i: number, actor?: string): AuditedCommit {
  return { ops: { compare: [{ key: k, revision: 0n }], put: [{ key: k, value: utf8(`v${i}`) }], delete: [] }, entry: entry(i, actor) };
}

/** A Store that counts commits, remembers their sizes and can be told to misbehave. */
function wrap(inner: Store, o: { beforeCommit?: (ops: CommitOps) => Promise<void>; delay?: boolean } = {}) {
  const tick = (): Promise<void> => (o.delay === true ? new Promise((r) => setImmediate(r)) : Promise.resolve());
  const w = {
    commits: 0,
    headConflicts: 0,
    sizes: [] as Array<{ compare: number; writes: number }>,
    async get(k: string) {
      await tick();
      return inner.get(k);
    },
    list: (p: string) => inner.list(p),
    async commit(ops: CommitOps) {
      w.commits += 1;
      w.sizes.push({ compare: ops.compare.length, writes: ops.put.length + ops.delete.length });
      await o.beforeCommit?.(ops);
      await tick();
      const r = await inner.commit(ops);
      if (!r.ok && r.conflictKey === AUDIT_HEAD_KEY) w.headConflicts += 1;
      return r;
    },
    close: () => inner.close(),
  };
  return w;
}

async function auditLog(store: Store): Promise<AuditRecord[]> {
  return (await store.list('audit/entries/')).map((e) => decodeAuditRecord(e.value));
}
async function checkChain(store: Store, n: number): Promise<AuditRecord[]> {
  const records = await auditLog(store);
  const h = await store.get(AUDIT_HEAD_KEY);
  assert.ok(h !== undefined);
  const head = decodeHead(h.value);
  assert.deepEqual(verifyAuditLog(records, { publicKey: key.publicKey, expectedHead: head }), head);
  assert.equal(records.length, n);
  assert.deepEqual(records.map((r) => r.seq), Array.from({ length: n }, (_, i) => i + 1));
  return records;
}
async function fileStore(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-appender-'));
  const store = await openFileStore(dir);
  t.after(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}
const oks = (rs: AuditedCommitResult[]) => rs.map((r) => (r.ok ? r : assert.fail(`conflict on ${r.conflictKey}`)));

for (const kind of ['memory', 'file'] as const) {
  test(`${kind} store: 500 concurrent commits on disjoint keys form one chain in far fewer store commits`, async (t) => {
    const store = wrap(kind === 'memory' ? createMemoryStore() : await fileStore(t));
    const appender = createAuditAppender({ store, signer });
    const results = oks(await Promise.all(Array.from({ length: 500 }, (_, i) => appender.commit(create(`w/${i}`, i)))));
    const records = await checkChain(store, 500);
    // FIFO: the i-th commit got seq i+1, and its change landed in the same store revision.
    results.forEach((r, i) => {
      assert.equal(r.record.seq, i + 1);
      assert.deepEqual(r.record, records[i]);
    });
    for (const i of [0, 250, 499]) assert.equal((await store.get(`w/${i}`))?.revision, results[i]!.revision);
    assert.deepEqual(await appender.head(), { seq: 500, hash: records[499]!.hash });
    // Every commit stays within etcd's default 128 ops per transaction list.
    for (const s of store.sizes) assert.ok(s.compare <= 128 && s.writes <= 128, JSON.stringify(s));
    t.diagnostic(`${kind}: ${store.commits} store commits for 500 items (${(store.commits / 500).toFixed(3)} per item)`);
    assert.ok(store.commits * 10 <= 500, `got ${store.commits} store commits for 500 items`);
    await appender.close();
  });
}

test('file store: larger maxTxnOps lets a batch reach maxBatch', async (t) => {
  const store = wrap(await fileStore(t));
  const appender = createAuditAppender({ store, signer, maxTxnOps: 10_000, maxBatch: 100 });
  oks(await Promise.all(Array.from({ length: 500 }, (_, i) => appender.commit(create(`w/${i}`, i)))));
  await checkChain(store, 500);
  t.diagnostic(`file, maxTxnOps 10000, maxBatch 100: ${store.commits} store commits for 500 items`);
  assert.equal(store.commits, 5);
});

test('items on one key: the first commits, the second (same read) gets conflictKey, its retry commits in a later batch', async () => {
  const store = createMemoryStore();
  const appender = createAuditAppender({ store, signer });
  const [a, b] = await Promise.all([appender.commit(create('k', 1, 'user:a')), appender.commit(create('k', 2, 'user:b'))]);
  assert.equal(a!.ok, true);
  assert.deepEqual(b, { ok: false, conflictKey: 'k' });
  const read = await store.get('k');
  const retry = await appender.commit({ ops: { compare: [{ key: 'k', revision: read!.revision }], put: [{ key: 'k', value: utf8('v2') }], delete: [] }, entry: entry(2, 'user:b') });
  assert.ok(retry.ok && a!.ok);
  assert.ok(retry.revision > a.revision);
  const records = await checkChain(store, 2); // the failed attempt left no entry
  assert.deepEqual(records.map((r) => r.actor), ['user:a', 'user:b']);
});

test('a conflicting item is dropped from its batch and the rest commit together', async () => {
  const store = wrap(createMemoryStore());
  const appender = createAuditAppender({ store, signer });
  const stale: AuditedCommit = { ops: { compare: [{ key: 'y', revision: 99n }], put: [{ key: 'y', value: utf8('y') }], delete: [] }, entry: entry(2) };
  const [x, y, z] = await Promise.all([appender.commit(create('x', 1)), appender.commit(stale), appender.commit(create('z', 3))]);
  assert.deepEqual(y, { ok: false, conflictKey: 'y' });
  assert.ok(x!.ok && z!.ok);
  assert.equal(x.revision, z.revision);
  assert.deepEqual([x.record.seq, z.record.seq], [1, 2]);
  assert.equal(store.commits, 2);
  await checkChain(store, 2);
});

test('overlapping items keep queue order: a later item never overtakes an earlier one on a shared key', async () => {
  const store = createMemoryStore();
  const appender = createAuditAppender({ store, signer });
  const put = (k: string) => ({ key: k, value: utf8(k) });
  const a: AuditedCommit = { ops: { compare: [], put: [put('k')], delete: [] }, entry: entry(1) };
  const b: AuditedCommit = { ops: { compare: [{ key: 'm', revision: 0n }], put: [put('k'), put('m')], delete: [] }, entry: entry(2) };
  const c: AuditedCommit = { ops: { compare: [{ key: 'm', revision: 0n }], put: [put('m')], delete: [] }, entry: entry(3) };
  const [ra, rb, rc] = await Promise.all([appender.commit(a), appender.commit(b), appender.commit(c)]);
  assert.ok(ra!.ok && rb!.ok);
  assert.ok(rb.revision > ra.revision);
  assert.deepEqual(rc, { ok: false, conflictKey: 'm' });
  await checkChain(store, 2);
});

for (const kind of ['memory', 'file'] as const) {
  test(`${kind} store: two appenders (replicas) on one store interleave 200 commits each without forking`, async (t) => {
    const inner = kind === 'memory' ? createMemoryStore() : await fileStore(t);
    // Each replica sees the store through its own slow link, so their reads and commits race.
    const s1 = wrap(inner, { delay: true });
    const s2 = wrap(inner, { delay: true });
    const r1 = createAuditAppender({ store: s1, signer, maxBatch: 16 });
    const r2 = createAuditAppender({ store: s2, signer, maxBatch: 16 });
    const pending: Array<Promise<AuditedCommitResult>> = [];
    for (let i = 0; i < 200; i++) pending.push(r1.commit(create(`r1/${i}`, i, 'user:r1')), r2.commit(create(`r2/${i}`, i, 'user:r2')));
    const results = oks(await Promise.all(pending));
    const records = await checkChain(inner, 400);
    assert.equal(new Set(results.map((r) => r.record.seq)).size, 400);
    for (const r of results) assert.deepEqual(records[r.record.seq - 1], r.record);
    assert.ok(s1.headConflicts + s2.headConflicts > 0, 'the replicas never raced: the test did not exercise the retry');
    t.diagnostic(`${kind}: head conflicts ${s1.headConflicts} + ${s2.headConflicts}, store commits ${s1.commits} + ${s2.commits}`);
    await Promise.all([r1.close(), r2.close()]);
  });
}

test(`a replica that always wins the head race makes the batch fail with AUDIT_APPEND_CONTENDED after ${MAX_HEAD_CONFLICTS} tries`, async () => {
  const inner = createMemoryStore();
  let contend = true;
  let n = 0;
  const other = async (): Promise<void> => {
    const h = await inner.get(AUDIT_HEAD_KEY);
    const current = h === undefined ? EMPTY_AUDIT_LOG : { head: decodeHead(h.value), revision: h.revision };
    assert.equal((await inner.commit(appendOps(current, entry(1000 + n++, 'user:other'), signer).storeOps)).ok, true);
  };
  const store = wrap(inner, { beforeCommit: async () => (contend ? other() : undefined) });
  const appender = createAuditAppender({ store, signer });
  const err = await assertRejectsCode(() => appender.commit(create('a', 1)), 'AUDIT_APPEND_CONTENDED');
  assert.equal(err.detail?.attempts, MAX_HEAD_CONFLICTS);
  assert.equal(store.commits, MAX_HEAD_CONFLICTS);
  assert.equal(await inner.get('a'), undefined);
  contend = false;
  const ok = await appender.commit(create('a', 2));
  assert.ok(ok.ok);
  assert.equal(ok.record.seq, MAX_HEAD_CONFLICTS + 1);
  await checkChain(inner, MAX_HEAD_CONFLICTS + 1);
});

test('a store error rejects the items of that batch; later items commit and the chain stays intact', async () => {
  const inner = createMemoryStore();
  let fail: 'before' | 'after' | undefined = 'before';
  const store = wrap(inner, {
    beforeCommit: async (ops) => {
      const mode = fail;
      fail = undefined;
      if (mode === 'before') throw new StoreError('STORE_IO_FAILED', 'injected: nothing written');
      // Like etcd's STORE_ETCD_COMMIT_UNKNOWN: the commit was applied but its answer was lost.
      if (mode === 'after') {
        await inner.commit(ops);
        throw new StoreError('STORE_ETCD_COMMIT_UNKNOWN', 'injected: applied, answer lost');
      }
    },
  });
  const appender = createAuditAppender({ store, signer });
  const batch1 = await Promise.allSettled([0, 1, 2].map((i) => appender.commit(create(`a/${i}`, i))));
  for (const r of batch1) assert.ok(r.status === 'rejected' && (r.reason as StoreError).code === 'STORE_IO_FAILED');
  assert.equal((await auditLog(inner)).length, 0);
  oks(await Promise.all([3, 4].map((i) => appender.commit(create(`a/${i}`, i)))));
  await checkChain(inner, 2);

  fail = 'after';
  await Promise.all([5, 6].map((i) => assertRejectsCode(() => appender.commit(create(`a/${i}`, i)), 'STORE_ETCD_COMMIT_UNKNOWN')));
  // The appender must not trust its cached head after an unknown outcome: it re-reads and continues at seq 5.
  const later = oks(await Promise.all([7, 8].map((i) => appender.commit(create(`a/${i}`, i)))));
  assert.deepEqual(later.map((r) => r.record.seq), [5, 6]);
  assert.equal(store.headConflicts, 0, 'the appender committed on its stale cached head');
  await checkChain(inner, 6);
});

test('close() finishes queued commits; commit() after close rejects with AUDIT_APPENDER_CLOSED', async (t) => {
  const store = await fileStore(t);
  const appender = createAuditAppender({ store, signer, maxBatch: 8 });
  let settled = 0;
  const pending = Array.from({ length: 50 }, (_, i) => appender.commit(create(`c/${i}`, i)).finally(() => (settled += 1)));
  await appender.close();
  assert.equal(settled, 50);
  oks(await Promise.all(pending));
  await assertRejectsCode(() => appender.commit(create('late', 99)), 'AUDIT_APPENDER_CLOSED');
  await checkChain(store, 50);
  assert.equal(await store.get('late'), undefined);
  await appender.close(); // idempotent
});

test('a bad item is rejected alone at commit(); the others in its burst commit', async () => {
  const store = createMemoryStore();
  const appender = createAuditAppender({ store, signer });
  const v = utf8('v');
  const bad: Array<[AuditedCommit, string]> = [
    [{ ops: { compare: [], put: [{ key: AUDIT_HEAD_KEY, value: v }], delete: [] }, entry: entry(0) }, 'AUDIT_COMMIT_INVALID'],
    [{ ops: { compare: [{ key: 'audit/entries/0000000000000001', revision: 0n }], put: [], delete: [] }, entry: entry(0) }, 'AUDIT_COMMIT_INVALID'],
    [{ ops: { compare: [], put: [{ key: 'd', value: v }], delete: ['d'] }, entry: entry(0) }, 'AUDIT_COMMIT_INVALID'],
    [{ ops: { compare: [{ key: 'd', revision: 0n }, { key: 'd', revision: 1n }], put: [], delete: [] }, entry: entry(0) }, 'AUDIT_COMMIT_INVALID'],
    [{ ops: { compare: [], put: [{ key: '/bad', value: v }], delete: [] }, entry: entry(0) }, 'STORE_KEY_INVALID'],
    [{ ops: { compare: [{ key: 'd', revision: -1n }], put: [], delete: [] }, entry: entry(0) }, 'AUDIT_COMMIT_INVALID'],
    [{ ops: { compare: [], put: [{ key: 'd', value: 'text' as unknown as Uint8Array }], delete: [] }, entry: entry(0) }, 'AUDIT_COMMIT_INVALID'],
    [{ ops: { compare: [], put: [], delete: [] }, entry: { ...entry(0), actor: 'two words' } }, 'AUDIT_ENTRY_INVALID'],
    [{ ops: { compare: [], put: [], delete: [] }, entry: { ...entry(0), time: new Date(Number.NaN) } }, 'AUDIT_ENTRY_INVALID'],
  ];
  const good = [appender.commit(create('g/1', 1)), appender.commit({ ops: { compare: [], put: [], delete: [] }, entry: entry(2) })];
  for (const [c, code] of bad) await assertRejectsCode(() => appender.commit(c), code);
  const [g1, g2] = oks(await Promise.all(good));
  assert.equal(g1!.revision, g2!.revision);
  await checkChain(store, 2);
});

test('batches respect maxTxnOps; an item larger than the budget still commits alone', async () => {
  const store = wrap(createMemoryStore());
  const appender = createAuditAppender({ store, signer, maxTxnOps: 7 });
  // 1 compare + 1 put per item, plus its entry key and entry: 3 items per commit (1 + 3*2 = 7).
  oks(await Promise.all(Array.from({ length: 9 }, (_, i) => appender.commit(create(`t/${i}`, i)))));
  assert.equal(store.commits, 3);
  for (const s of store.sizes) assert.ok(s.compare <= 7 && s.writes <= 7);
  const big: AuditedCommit = { ops: { compare: [], put: Array.from({ length: 10 }, (_, i) => ({ key: `big/${i}`, value: utf8('b') })), delete: [] }, entry: entry(9) };
  assert.ok((await appender.commit(big)).ok);
  await checkChain(store, 10);
});

test('options are checked', () => {
  const store = createMemoryStore();
  for (const o of [{ maxBatch: 0 }, { maxBatch: 1.5 }, { maxTxnOps: -1 }, { maxBatchBytes: Number.NaN }]) {
    assertThrowsCode(() => createAuditAppender({ store, signer, ...o }), 'AUDIT_APPENDER_CONFIG_INVALID', JSON.stringify(o));
  }
});
