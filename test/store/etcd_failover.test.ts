import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openEtcdStore, type EtcdStore, type StoreChange } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { SKIP_NO_ETCD, startEtcdCluster, type EtcdCluster } from '../support/etcd_cluster.js';
import { text, utf8 } from './fixtures.js';

/**
 * Member failures on a real 3-member cluster. The tests run in order and share one cluster:
 * lose the raft leader (2 of 3 still serve), bring it back, lose quorum (fail closed),
 * restore it, lose everything (unreachable). Hangs are caught by the test timeouts.
 */
let cluster: EtcdCluster | undefined;
let store: EtcdStore | undefined;
before(async () => {
  if (SKIP_NO_ETCD !== false) return;
  cluster = await startEtcdCluster();
  store = await openEtcdStore({ endpoints: cluster.endpoints, prefix: '/failover/', timeoutMs: 3000 });
});
after(async () => {
  await store?.close();
  await cluster?.stop();
});

const put = (key: string, value: string, revision?: bigint) =>
  store!.commit({ compare: revision === undefined ? [] : [{ key, revision }], put: [{ key, value: utf8(value) }], delete: [] });

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('etcd store under member failures', { skip: SKIP_NO_ETCD, timeout: 120_000 }, () => {
  const seen: StoreChange[] = [];

  test('with the raft leader SIGKILLed, writes and reads still succeed on 2 of 3 and the watch goes on', async () => {
    await store!.watch('', (c) => seen.push(c));
    const first = await put('before', 'x');
    assert.ok(first.ok);
    const leader = await cluster!.leader();
    assert.notEqual(leader, undefined);
    await cluster!.kill(leader!);
    // The other two elect a new leader (election timeout ~1 s); until then writes are not served.
    await cluster!.waitHealthy();
    // Many commits so the client certainly tries the dead endpoint too.
    let rev = 0n;
    for (let i = 0; i < 20; i++) {
      const r = await put(`after/${i}`, String(i), 0n);
      assert.ok(r.ok, `commit ${i}`);
      assert.ok(r.revision > rev);
      rev = r.revision;
      assert.equal(text((await store!.get(`after/${i}`))?.value), String(i));
    }
    assert.equal((await store!.list('after/')).length, 20);
    await until('all 21 changes watched', () => seen.length >= 21);
    assert.deepEqual(seen.map((c) => c.key), ['before', ...Array.from({ length: 20 }, (_, i) => `after/${i}`)]);

    await cluster!.restart(leader!);
    // The restarted member catches up: a client that talks only to it sees the latest write.
    const only = await openEtcdStore({ endpoints: [cluster!.endpoints[leader!]!], prefix: '/failover/', timeoutMs: 5000 });
    try {
      assert.deepEqual(await only.get('after/19'), { value: utf8('19'), revision: rev });
    } finally {
      await only.close();
    }
  });

  test('without quorum (2 of 3 killed) reads time out and commits fail closed; nothing is lost after recovery', async () => {
    const base = await put('quorum', 'kept');
    assert.ok(base.ok);
    await cluster!.kill(0);
    await cluster!.kill(1);
    await assertRejectsCode(() => store!.get('quorum'), ['STORE_ETCD_TIMEOUT', 'STORE_ETCD_UNAVAILABLE']);
    // The survivor may still forward the commit to a dead leader (no answer: outcome unknown) or
    // refuse it: both fail closed, neither reports success.
    await assertRejectsCode(() => put('quorum', 'lost', base.revision), ['STORE_ETCD_COMMIT_UNKNOWN', 'STORE_ETCD_UNAVAILABLE']);
    await cluster!.restart(0, { waitHealthy: false });
    await cluster!.restart(1);
    const got = await store!.get('quorum');
    assert.ok(got !== undefined);
    // The unanswered commit was either applied whole or not at all.
    assert.ok(text(got.value) === 'kept' ? got.revision === base.revision : text(got.value) === 'lost' && got.revision > base.revision);
    assert.ok((await put('quorum', 'again', got.revision)).ok);
  });

  test('with every member down, reads and commits fail with STORE_ETCD_UNAVAILABLE and opening fails too', async () => {
    for (let i = 0; i < 3; i++) await cluster!.kill(i);
    await assertRejectsCode(() => store!.get('quorum'), 'STORE_ETCD_UNAVAILABLE');
    await assertRejectsCode(() => put('quorum', 'x'), 'STORE_ETCD_UNAVAILABLE');
    await assertRejectsCode(() => openEtcdStore({ endpoints: cluster!.endpoints, timeoutMs: 1000 }), 'STORE_ETCD_UNAVAILABLE');
  });
});
