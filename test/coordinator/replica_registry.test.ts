import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStore } from '../../src/store/index.js';
import { liveReplicas, registerReplica, REPLICA_PREFIX } from '../../src/coordinator/replica_registry.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { clockAt, MEASUREMENT } from './replica_fixture.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
/** Polls (no timing assertion: only an upper bound so a broken timer fails instead of hanging). */
async function waitFor(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting: ${what}`);
}
const noError = (e: unknown) => assert.fail(`unexpected refresh error ${String(e)}`);

test('a registered replica is live until its record expires, and refresh extends it', async () => {
  const store = createMemoryStore();
  const clock = clockAt(T0);
  const reg = await registerReplica({ store, replicaId: 'coord-0', url: 'https://10.0.0.1:4433', measurement: MEASUREMENT, clock, onError: noError });
  try {
    const live = await liveReplicas(store, clock.now());
    assert.deepEqual(live, [
      { replicaId: 'coord-0', url: 'https://10.0.0.1:4433', measurement: MEASUREMENT, startedAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 30_000).toISOString() },
    ]);
    assert.deepEqual(await liveReplicas(store, new Date(T0 + 30_000)), [], 'expired at expiresAt');
    clock.t = T0 + 20_000;
    await reg.refresh();
    const after = await liveReplicas(store, new Date(T0 + 40_000));
    assert.equal(after.length, 1);
    assert.equal(after[0]!.startedAt, new Date(T0).toISOString(), 'startedAt is kept');
    assert.deepEqual(await liveReplicas(store, new Date(T0 + 1), { exclude: 'coord-0' }), [], 'the caller excludes itself');
  } finally {
    await reg.stop();
  }
  assert.deepEqual(await store.list(REPLICA_PREFIX), [], 'stop() removes the record');
  await reg.stop(); // idempotent
});

test('the timer refreshes the record; a failing store is reported, not thrown', async () => {
  const store = createMemoryStore();
  let t = T0;
  const errors: unknown[] = [];
  const reg = await registerReplica({ store, replicaId: 'coord-1', url: 'https://coord-1.local', measurement: MEASUREMENT, clock: { now: () => new Date(t) }, onError: (e) => errors.push(e), refreshMs: 5 });
  t = T0 + 25_000;
  await waitFor(async () => (await liveReplicas(store, new Date(T0 + 50_000))).length === 1, 'refreshed by the timer with the later clock');
  await store.close(); // every further write fails
  await waitFor(async () => errors.length > 0, 'refresh failure reported');
  assert.equal((errors[0] as { code?: string }).code, 'STORE_CLOSED');
  await assertRejectsCode(() => reg.stop(), 'STORE_CLOSED');
});

test('malformed, foreign and expired records are skipped by readers', async () => {
  const store = createMemoryStore();
  const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
  const good = { url: 'https://a.local', measurement: MEASUREMENT, startedAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 30_000).toISOString() };
  const put = async (id: string, v: unknown) => store.commit({ compare: [], put: [{ key: `${REPLICA_PREFIX}${id}`, value: enc(v) }], delete: [] });
  await put('good', good);
  await put('not-json', '{');
  await put('http-url', { ...good, url: 'http://a.local' });
  await put('extra-field', { ...good, key: 'x' });
  await put('UPPER', good);
  await put('expired', { ...good, expiresAt: new Date(T0 - 1).toISOString() });
  assert.deepEqual((await liveReplicas(store, new Date(T0))).map((r) => r.replicaId), ['good']);
});

test('registration rejects bad ids, URLs and measurements', async () => {
  const store = createMemoryStore();
  const base = { store, replicaId: 'coord-0', url: 'https://a.local', measurement: MEASUREMENT, clock: clockAt(T0), onError: noError };
  await assertRejectsCode(() => registerReplica({ ...base, replicaId: '../x' }), 'REPLICA_RECORD_INVALID');
  await assertRejectsCode(() => registerReplica({ ...base, replicaId: '' }), 'REPLICA_RECORD_INVALID');
  await assertRejectsCode(() => registerReplica({ ...base, url: 'http://a.local' }), 'REPLICA_RECORD_INVALID');
  await assertRejectsCode(() => registerReplica({ ...base, measurement: 'XYZ' }), 'REPLICA_RECORD_INVALID');
  assert.deepEqual(await store.list(''), []);
});
