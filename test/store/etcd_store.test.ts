import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { createSealedStore, openEtcdStore, SEALED_FORMAT_VERSION, type EtcdStore, type StoreChange } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { SKIP_NO_ETCD, startEtcdCluster, type EtcdCluster } from '../support/etcd_cluster.js';
import { seededRandom, text, utf8 } from './fixtures.js';
import { describeStoreContract } from './store_contract.js';

/** The etcd store against a real 3-member cluster (started once for this file). */
let cluster: EtcdCluster | undefined;
before(async () => {
  if (SKIP_NO_ETCD === false) cluster = await startEtcdCluster();
});
after(async () => {
  await cluster?.stop();
});

let prefixes = 0;
/** A store under its own prefix: every test sees an empty key space. */
async function fresh(t: { after(fn: () => Promise<void>): void }, prefix = `/cloister-test-${++prefixes}/`): Promise<EtcdStore> {
  const s = await openEtcdStore({ endpoints: cluster!.endpoints, prefix, timeoutMs: 5000 });
  t.after(() => s.close());
  return s;
}
function rawClient(t: { after(fn: () => void): void }): Etcd3 {
  const c = new Etcd3({ hosts: cluster!.endpoints.map((e) => `http://${e}`) });
  t.after(() => c.close());
  return c;
}
async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeStoreContract('etcd', (t) => fresh(t), { skip: SKIP_NO_ETCD });

describe('etcd store specifics', { skip: SKIP_NO_ETCD }, () => {
  test('values are opaque bytes stored under <prefix>state/<key>', async (t) => {
    const s = await fresh(t, '/opaque/');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const r = await s.commit({ compare: [], put: [{ key: 'bin/all', value: all }, { key: 'bin/empty', value: new Uint8Array(0) }, { key: 'ünï/köy', value: utf8('x') }], delete: [] });
    assert.ok(r.ok);
    assert.deepEqual(await s.get('bin/all'), { value: all, revision: r.revision });
    assert.deepEqual(await s.get('bin/empty'), { value: new Uint8Array(0), revision: r.revision });
    const raw = await rawClient(t).getAll().prefix('/opaque/').keys();
    assert.deepEqual(raw.sort(), ['/opaque/state/bin/all', '/opaque/state/bin/empty', '/opaque/state/ünï/köy']);
  });

  test('prefixes isolate stores; keys outside the state folder are not listed', async (t) => {
    const a = await fresh(t, '/iso/a/');
    const b = await fresh(t, '/iso/b/');
    await rawClient(t).put('/iso/a/other').value('not a state key');
    assert.ok((await a.commit({ compare: [{ key: 'k', revision: 0n }], put: [{ key: 'k', value: utf8('a') }], delete: [] })).ok);
    assert.equal(await b.get('k'), undefined);
    assert.ok((await b.commit({ compare: [{ key: 'k', revision: 0n }], put: [{ key: 'k', value: utf8('b') }], delete: [] })).ok);
    assert.deepEqual((await a.list('')).map((e) => [e.key, text(e.value)]), [['k', 'a']]);
    assert.deepEqual((await b.list('')).map((e) => [e.key, text(e.value)]), [['k', 'b']]);
  });

  test('list pages through more entries than one etcd response holds, sorted like the memory store', async (t) => {
    const s = await fresh(t);
    const keys: string[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const put = Array.from({ length: 100 }, (_, i) => ({ key: `many/${String(batch * 100 + i).padStart(4, '0')}`, value: utf8(String(batch * 100 + i)) }));
      keys.push(...put.map((p) => p.key));
      assert.ok((await s.commit({ compare: [], put, delete: [] })).ok);
    }
    // U+FF5E sorts before U+10000 in UTF-8 byte order (etcd's) but after it in JS string order (UTF-16).
    assert.ok((await s.commit({ compare: [], put: [{ key: 'many/\u{10000}', value: utf8('a') }, { key: 'many/\uff5e', value: utf8('b') }, { key: 'other', value: utf8('c') }], delete: [] })).ok);
    const got = await s.list('many/');
    assert.deepEqual(got.map((e) => e.key), [...keys, 'many/\u{10000}', 'many/\uff5e']);
    assert.equal(text(got[599]!.value), '599');
  });

  test('conflictKey is the first failing compare, read in the same transaction', async (t) => {
    const s = await fresh(t);
    const w1 = await s.commit({ compare: [], put: [{ key: 'a', value: utf8('1') }, { key: 'b', value: utf8('1') }], delete: [] });
    assert.ok(w1.ok);
    const w2 = await s.commit({ compare: [], put: [{ key: 'b', value: utf8('2') }], delete: [] });
    assert.ok(w2.ok);
    const ops = (c: Array<[string, bigint]>) => ({ compare: c.map(([key, revision]) => ({ key, revision })), put: [{ key: 'z', value: utf8('z') }], delete: [] });
    assert.deepEqual(await s.commit(ops([['a', w1.revision], ['b', w1.revision]])), { ok: false, conflictKey: 'b' });
    assert.deepEqual(await s.commit(ops([['missing', 5n], ['b', w2.revision]])), { ok: false, conflictKey: 'missing' });
    assert.deepEqual(await s.commit(ops([['a', 0n]])), { ok: false, conflictKey: 'a' });
    assert.equal(await s.get('z'), undefined);
    // Deleted keys compare as absent again (create_revision == 0), as in the memory store.
    assert.ok((await s.commit({ compare: [{ key: 'a', revision: w1.revision }], put: [], delete: ['a'] })).ok);
    assert.ok((await s.commit(ops([['a', 0n], ['b', w2.revision]]))).ok);
  });

  test('two clients racing conflicting commits: exactly one wins each round; no update is lost', async (t) => {
    const prefix = `/race-${++prefixes}/`;
    const [a, b] = [await fresh(t, prefix), await fresh(t, prefix)];
    for (let round = 0; round < 10; round++) {
      const key = `round/${round}`;
      const [ra, rb] = await Promise.all([
        a.commit({ compare: [{ key, revision: 0n }], put: [{ key, value: utf8('a') }], delete: [] }),
        b.commit({ compare: [{ key, revision: 0n }], put: [{ key, value: utf8('b') }], delete: [] }),
      ]);
      assert.deepEqual([ra.ok, rb.ok].sort(), [false, true], `round ${round}`);
      const winner = ra.ok ? 'a' : 'b';
      assert.equal(text((await a.get(key))?.value), winner);
      assert.deepEqual(ra.ok ? rb : ra, { ok: false, conflictKey: key });
    }
    // Read-modify-write counter with compare-and-swap retries from both clients.
    const increment = async (s: EtcdStore): Promise<void> => {
      for (;;) {
        const cur = await s.get('counter');
        const n = cur === undefined ? 0 : Number(text(cur.value));
        const r = await s.commit({ compare: [{ key: 'counter', revision: cur?.revision ?? 0n }], put: [{ key: 'counter', value: utf8(String(n + 1)) }], delete: [] });
        if (r.ok) return;
      }
    };
    await Promise.all([a, b].map(async (s) => {
      for (let i = 0; i < 15; i++) await increment(s);
    }));
    assert.equal(text((await a.get('counter'))?.value), '30');
  });

  test('watch reports puts and deletes in revision order, replays from a revision, and stops on close', async (t) => {
    const s = await fresh(t);
    const seen: StoreChange[] = [];
    const w = await s.watch('w/', (c) => seen.push(c));
    const r1 = await s.commit({ compare: [], put: [{ key: 'w/a', value: utf8('1') }, { key: 'x', value: utf8('not watched') }], delete: [] });
    const r2 = await s.commit({ compare: [], put: [{ key: 'w/b', value: utf8('2') }], delete: ['w/a'] });
    assert.ok(r1.ok && r2.ok);
    await until('3 changes', () => seen.length >= 3);
    const show = (c: StoreChange) => [c.key, text(c.value), c.revision];
    const want = [['w/a', '1', r1.revision], ['w/b', '2', r2.revision], ['w/a', undefined, r2.revision]];
    assert.deepEqual(seen.map(show), want);
    await w.close();
    assert.ok((await s.commit({ compare: [], put: [{ key: 'w/c', value: utf8('3') }], delete: [] })).ok);

    const replay: StoreChange[] = [];
    const w2 = await s.watch('w/', (c) => replay.push(c), { fromRevision: r1.revision });
    await until('replayed changes', () => replay.length >= 4);
    assert.deepEqual(replay.slice(0, 3).map(show), want);
    assert.equal(seen.length, 3, 'a closed watch reports nothing');
    await w2.close();
  });

  test('a watch whose callback throws ends with STORE_ETCD_WATCH_FAILED', async (t) => {
    const s = await fresh(t);
    let failure: unknown;
    await s.watch('', () => {
      throw new Error('consumer bug');
    }, { onError: (e) => (failure = e) });
    assert.ok((await s.commit({ compare: [], put: [{ key: 'k', value: utf8('v') }], delete: [] })).ok);
    await until('watch error', () => failure !== undefined);
    assert.equal((failure as { code?: string }).code, 'STORE_ETCD_WATCH_FAILED');
  });

  test('leader election: one leader at a time; resign and close hand over', { timeout: 30_000 }, async (t) => {
    const prefix = `/elect-${++prefixes}/`;
    const [a, b, c] = [await fresh(t, prefix), await fresh(t, prefix), await fresh(t, prefix)];
    const la = await a.leaderElection('coordinator', 5).campaign('replica-a');
    assert.ok(la.isLeader());
    assert.equal(await b.leaderElection('coordinator', 5).leader(), 'replica-a');
    // Candidates queue in the order their keys were created: wait for b's key before c campaigns.
    const raw = rawClient(t);
    const candidates = async (n: number) => {
      for (;;) {
        if ((await raw.getAll().prefix(`${prefix}election/coordinator/`).keys()).length >= n) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let bElected = false;
    const pb = b.leaderElection('coordinator', 5).campaign('replica-b').then((l) => ((bElected = true), l));
    await candidates(2);
    let cSettled = false;
    const pc = c.leaderElection('coordinator', 5).campaign('replica-c').finally(() => (cSettled = true));
    await candidates(3);
    assert.equal(bElected, false, 'b waits while a leads');
    await la.resign();
    assert.equal(la.isLeader(), false);
    const lb = await pb;
    assert.ok(lb.isLeader());
    assert.equal(await a.leaderElection('coordinator', 5).leader(), 'replica-b');
    assert.equal(cSettled, false, 'c waits while b leads');
    // Closing the leader's store resigns, so the next candidate need not wait for the lease TTL.
    await b.close();
    const lc = await pc;
    assert.equal(lc.candidate, 'replica-c');
    assert.equal(await a.leaderElection('coordinator', 5).leader(), 'replica-c');
    const pa = a.leaderElection('coordinator', 5).campaign('replica-a2');
    await c.close();
    assert.ok((await pa).isLeader());
    // Closing a store with a pending campaign rejects it.
    const d = await fresh(t, prefix);
    const pd = d.leaderElection('coordinator', 5).campaign('replica-d');
    const rejected = assertRejectsCode(() => pd, 'STORE_CLOSED');
    await d.close();
    await rejected;
    await assertRejectsCode(async () => b.leaderElection('coordinator', 5), 'STORE_CLOSED');
    await assertRejectsCode(async () => a.leaderElection('bad//name', 5), 'STORE_KEY_INVALID');
    await assertRejectsCode(async () => a.leaderElection('coordinator', 0), 'STORE_ETCD_CONFIG_INVALID');
  });

  test('a sealed store on top of etcd puts only ciphertext into etcd', async (t) => {
    const prefix = `/sealed-${++prefixes}/`;
    const inner = await fresh(t, prefix);
    const dataKey = seededRandom('data-key').bytes(32);
    const sealed = createSealedStore(inner, { dataKey, random: seededRandom('nonces') });
    const secret = 'manifest: {"secrets":{"db-password":"hunter2-hunter2"}}';
    const r = await sealed.commit({ compare: [{ key: 'manifest', revision: 0n }], put: [{ key: 'manifest', value: utf8(secret) }], delete: [] });
    assert.ok(r.ok);
    assert.equal(text((await sealed.get('manifest'))?.value), secret);

    const raw = await rawClient(t).get(`${prefix}state/manifest`).buffer();
    assert.ok(raw !== null);
    assert.equal(raw[0], SEALED_FORMAT_VERSION);
    assert.equal(raw.includes(Buffer.from('hunter2')), false);
    assert.equal(raw.includes(Buffer.from('manifest')), false);
    assert.equal(raw.length, 1 + 8 + 12 + secret.length + 16);

    const otherKey = createSealedStore(inner, { dataKey: seededRandom('other').bytes(32), random: seededRandom('n2') });
    await assertRejectsCode(() => otherKey.get('manifest'), 'STATE_UNSEALED_FAILED');
    raw[raw.length - 1]! ^= 1;
    await rawClient(t).put(`${prefix}state/manifest`).value(raw);
    await assertRejectsCode(() => sealed.get('manifest'), 'STATE_TAMPERED');
  });
});
