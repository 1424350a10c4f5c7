import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createMemoryStore } from '../../src/store/index.js';
import {
  createStatelessNonceRegistry,
  nonceExpiryMs,
  pruneUsedNonces,
  usedNonceKey,
  usedNonceOps,
  USED_NONCE_PREFIX,
} from '../../src/coordinator/stateless_nonces.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { clockAt, random } from './replica_fixture.js';

const dataKey = new Uint8Array(randomBytes(32));
const T0 = Date.parse('2030-01-01T00:00:00Z');

function registry(clock = clockAt(T0), o: { key?: Uint8Array; usedCapacity?: number } = {}) {
  return createStatelessNonceRegistry({ dataKey: o.key ?? dataKey, clock, random, ttlMs: 60_000, usedCapacity: o.usedCapacity ?? 100 });
}

test('a nonce from one replica is accepted once by another replica with the same data key', () => {
  const clock = clockAt(T0);
  const a = registry(clock);
  const b = registry(clock);
  const n = a.issue();
  assert.equal(n.nonce.length, 32);
  assert.equal(n.expiresAt.getTime(), T0 + 60_000);
  assert.equal(nonceExpiryMs(n.nonce), T0 + 60_000);
  assert.equal(b.consume(n.nonce), true);
  assert.equal(b.consume(n.nonce), false, 'replayed on the same replica');
  assert.equal(a.consume(n.nonce), true, 'locally unknown to a: the store commit (usedNonceOps) stops this replay');
});

test('expired, forged, foreign-key and malformed nonces are refused', () => {
  const clock = clockAt(T0);
  const reg = registry(clock);
  const expiring = reg.issue();
  clock.t = T0 + 60_000;
  assert.equal(reg.consume(expiring.nonce), false, 'expired at exactly expiresAt');
  clock.t = T0;
  const n = reg.issue().nonce;
  for (let i = 0; i < 32; i++) {
    const forged = new Uint8Array(n);
    forged[i]! ^= 0x01;
    assert.equal(reg.consume(forged), false, `byte ${i} flipped (expiry, random or MAC)`);
  }
  assert.equal(registry(clock, { key: new Uint8Array(randomBytes(32)) }).consume(n), false, 'another data key');
  assert.equal(reg.consume(n.subarray(0, 31)), false, '31 bytes');
  assert.equal(reg.consume(new Uint8Array(32)), false, 'zeros');
  assert.equal(reg.consume(n), true, 'the genuine one still works');
});

test('a validly MACed nonce with an expiry far beyond ttl + skew is refused', () => {
  const future = clockAt(T0 + 3_600_000);
  const n = registry(future).issue().nonce; // a replica whose clock runs an hour ahead
  assert.equal(registry(clockAt(T0)).consume(n), false);
  const slightlyAhead = registry(clockAt(T0 + 30_000)).issue().nonce;
  assert.equal(registry(clockAt(T0)).consume(slightlyAhead), true, 'within the default 60 s skew');
});

test('the local used-set is bounded and fails closed when full of live nonces', () => {
  const clock = clockAt(T0);
  const reg = registry(clock, { usedCapacity: 2 });
  const [a, b, c] = [reg.issue().nonce, reg.issue().nonce, reg.issue().nonce];
  assert.equal(reg.consume(a), true);
  assert.equal(reg.consume(b), true);
  assert.equal(reg.consume(c), false, 'full: refused rather than forgetting a used nonce');
  assert.equal(reg.consume(a), false, 'a is still remembered');
  clock.t += 60_001;
  const d = reg.issue().nonce;
  assert.equal(reg.consume(d), true, 'expired entries are pruned');
  assert.ok(reg.size <= 2);
});

test('usedNonceOps makes a nonce single-use across replicas through the store', async () => {
  const store = createMemoryStore();
  const n = registry().issue().nonce;
  const ops = usedNonceOps(n);
  assert.deepEqual(ops.compare, [{ key: usedNonceKey(n), revision: 0n }]);
  const first = await store.commit({ ...ops, delete: [] });
  assert.equal(first.ok, true);
  const second = await store.commit({ ...usedNonceOps(n), delete: [] });
  assert.deepEqual(second, { ok: false, conflictKey: usedNonceKey(n) });
  const v = JSON.parse(new TextDecoder().decode((await store.get(usedNonceKey(n)))!.value)) as { expiresAt: string };
  assert.equal(Date.parse(v.expiresAt), T0 + 60_000);
  assertThrowsCode(() => usedNonceOps(new Uint8Array(31)), 'NONCE_INVALID');
});

test('pruneUsedNonces deletes records expired longer than the grace, and nothing else', async () => {
  const store = createMemoryStore();
  const old = registry(clockAt(T0)).issue().nonce;
  const fresh = registry(clockAt(T0 + 120_000)).issue().nonce;
  for (const n of [old, fresh]) await store.commit({ ...usedNonceOps(n), delete: [] });
  await store.commit({ compare: [], put: [{ key: `${USED_NONCE_PREFIX}not-a-nonce`, value: new Uint8Array(1) }], delete: [] });
  // old expires at T0+60s: within the 60 s grace at T0+100s, past it at T0+121s
  assert.equal(await pruneUsedNonces(store, new Date(T0 + 100_000)), 0);
  assert.equal(await pruneUsedNonces(store, new Date(T0 + 121_000)), 1);
  const left = (await store.list(USED_NONCE_PREFIX)).map((e) => e.key);
  assert.deepEqual(left.sort(), [usedNonceKey(fresh), `${USED_NONCE_PREFIX}not-a-nonce`].sort());
});

test('pruning many records commits in batches', async () => {
  const store = createMemoryStore();
  const reg = registry(clockAt(T0), { usedCapacity: 1000 });
  for (let i = 0; i < 250; i++) await store.commit({ ...usedNonceOps(reg.issue().nonce), delete: [] });
  const before = store.revision;
  assert.equal(await pruneUsedNonces(store, new Date(T0 + 3_600_000)), 250);
  assert.equal(store.revision - before, 3n, '100 + 100 + 50');
  assert.deepEqual(await store.list(USED_NONCE_PREFIX), []);
});
