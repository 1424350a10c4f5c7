import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { obtainDataKey, STATE_KEY_ID_KEY, type ObtainDataKeyOptions } from '../../src/coordinator/data_key_bootstrap.js';
import { createNonceRegistry } from '../../src/coordinator/nonces.js';
import type { ReplicaKeyClient } from '../../src/coordinator/replica_key_client.js';
import { createReplicaKeyService } from '../../src/coordinator/replica_key_service.js';
import { registerReplica, type ReplicaRegistration } from '../../src/coordinator/replica_registry.js';
import { createMemoryStore, createSealedStore, dataKeyId, type Store } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { captureLog, clockAt, expected, fixture, memorySealing, MEASUREMENT, OTHER_MEASUREMENT, random, type Fixture } from './replica_fixture.js';

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(() => fx.close());

const clock = clockAt(Date.parse('2030-01-01T00:00:00Z'));
let dirCount = 0;
const newDir = () => join(fx.dir, `state-${++dirCount}`);

/** In-process peers: URL -> a serving replica's key service and nonce registry (no HTTP here; see replica_routes.test.ts). */
function network() {
  const peers = new Map<string, { service: ReturnType<typeof createReplicaKeyService>; nonces: ReturnType<typeof createNonceRegistry> }>();
  const client: ReplicaKeyClient = {
    async nonce(url) {
      return peers.get(url)!.nonces.issue().nonce;
    },
    async dataKey(url, body) {
      const a = await peers.get(url)!.service.handOver({
        nonce: Buffer.from(body.nonce, 'hex'),
        evidence: { tee: body.evidence.tee, data: Buffer.from(body.evidence.data, 'base64'), certs: [] },
        publicKey: body.publicKey,
      });
      return a;
    },
  };
  const regs: ReplicaRegistration[] = [];
  return {
    client,
    /** a serving replica holding `dataKey`, registered in `store` */
    async serve(store: Store, id: string, dataKey: Uint8Array): Promise<void> {
      const url = `https://${id}.test`;
      const nonces = createNonceRegistry({ clock, random, ttlMs: 60_000, capacity: 100 });
      peers.set(url, { nonces, service: createReplicaKeyService({ dataKey, verifier: fx.verifier, expectedMeasurement: expected, nonces, clock, random, log: captureLog().log }) });
      regs.push(await registerReplica({ store, replicaId: id, url, measurement: MEASUREMENT, clock, onError: () => undefined }));
    },
    stop: () => Promise.all(regs.map((r) => r.stop())),
  };
}

function options(store: Store, net: ReturnType<typeof network>, o: Partial<ObtainDataKeyOptions> = {}): ObtainDataKeyOptions {
  return { store, stateDir: newDir(), sealing: memorySealing(), evidence: fx.evidence(), client: net.client, replicaId: 'me', clock, random, attempts: 1, ...o };
}

test('the first replica creates and claims the key; a restart uses its local copy', async () => {
  const store = createMemoryStore();
  const o = options(store, network());
  const first = await obtainDataKey(o);
  assert.equal(first.source, 'created');
  assert.equal(first.keyId, toHex(dataKeyId(first.dataKey)));
  const rec = JSON.parse(new TextDecoder().decode((await store.get(STATE_KEY_ID_KEY))!.value)) as { keyId: string };
  assert.equal(rec.keyId, first.keyId);
  assert.deepEqual(await readdir(o.stateDir), [`replica-data-key-${first.keyId}`]);
  const again = await obtainDataKey(o);
  assert.equal(again.source, 'local');
  assert.deepEqual(again.dataKey, first.dataKey);
});

test('a second replica gets the key by attested exchange, seals it locally, and then starts locally', async () => {
  const store = createMemoryStore();
  const net = network();
  const a = await obtainDataKey(options(store, net));
  await net.serve(store, 'a', a.dataKey);
  const o = options(store, net, { replicaId: 'b' });
  const b = await obtainDataKey(o);
  assert.equal(b.source, 'exchanged');
  assert.deepEqual(b.dataKey, a.dataKey);
  assert.equal((await obtainDataKey(o)).source, 'local');
  // the exchanged key really opens the shared sealed state
  const sealedA = createSealedStore(store, { dataKey: a.dataKey, random });
  await sealedA.commit({ compare: [], put: [{ key: 'manifest', value: new Uint8Array([1, 2, 3]) }], delete: [] });
  assert.deepEqual((await createSealedStore(store, { dataKey: b.dataKey, random }).get('manifest'))!.value, new Uint8Array([1, 2, 3]));
  // dataKeyId is the id every sealed value carries (format: version | keyId (8) | ...)
  assert.equal(toHex((await store.get('manifest'))!.value.subarray(1, 9)), b.keyId);
  await net.stop();
});

test('with no live replica the key is unavailable, after the configured retries, and no new key is made', async () => {
  const store = createMemoryStore();
  const net = network();
  await obtainDataKey(options(store, net)); // claimed, but the creator never serves
  const before = store.revision;
  let sleeps = 0;
  const e = await assertRejectsCode(() => obtainDataKey(options(store, net, { attempts: 3, sleep: async () => void sleeps++ })), 'REPLICA_KEY_UNAVAILABLE');
  assert.equal(sleeps, 2);
  assert.deepEqual((e.detail as { failures: unknown[] }).failures, []);
  assert.equal(store.revision, before, 'nothing written');
});

test('a lying peer (another key) is refused by key id; an honest peer after it is used', async () => {
  const store = createMemoryStore();
  const net = network();
  const a = await obtainDataKey(options(store, net));
  await net.serve(store, 'liar', new Uint8Array(randomBytes(32)));
  const e = await assertRejectsCode(() => obtainDataKey(options(store, net)), 'REPLICA_KEY_UNAVAILABLE');
  assert.deepEqual((e.detail as { failures: Array<{ code: string }> }).failures.map((f) => f.code), ['REPLICA_KEY_MISMATCH']);
  await net.serve(store, 'zhonest', a.dataKey); // sorted after 'liar'
  const b = await obtainDataKey(options(store, net));
  assert.equal(b.source, 'exchanged');
  assert.deepEqual(b.dataKey, a.dataKey);
  await net.stop();
});

test('a requester with another measurement is refused by every peer', async () => {
  const store = createMemoryStore();
  const net = network();
  const a = await obtainDataKey(options(store, net));
  await net.serve(store, 'a', a.dataKey);
  const e = await assertRejectsCode(() => obtainDataKey(options(store, net, { evidence: fx.evidence(OTHER_MEASUREMENT) })), 'REPLICA_KEY_UNAVAILABLE');
  assert.deepEqual((e.detail as { failures: Array<{ code: string }> }).failures.map((f) => f.code), ['REPLICA_MEASUREMENT_MISMATCH']);
  await net.stop();
});

test('losing the claim race falls through to an exchange with the winner', async () => {
  const store = createMemoryStore();
  const net = network();
  const a = await obtainDataKey(options(store, net));
  await net.serve(store, 'a', a.dataKey);
  // B read "no state-key-id" just before A's claim landed: hide the record from B's first read
  let hidden = true;
  const racing: Store = {
    ...store,
    get: async (key) => {
      if (key === STATE_KEY_ID_KEY && hidden) {
        hidden = false;
        return undefined;
      }
      return store.get(key);
    },
    list: (p) => store.list(p),
    commit: (ops) => store.commit(ops),
  };
  const o = options(racing, net);
  const b = await obtainDataKey(o);
  assert.equal(b.source, 'exchanged');
  assert.deepEqual(b.dataKey, a.dataKey);
  assert.equal((await readdir(o.stateDir)).length, 2, 'the unclaimed key stays under its own id, harmless');
  await net.stop();
});

test('sealed state without a state-key-id record, or a malformed record, is never given a new key', async () => {
  const store = createMemoryStore();
  await createSealedStore(store, { dataKey: new Uint8Array(randomBytes(32)), random }).commit({ compare: [], put: [{ key: 'manifest', value: new Uint8Array(1) }], delete: [] });
  await assertRejectsCode(() => obtainDataKey(options(store, network())), 'REPLICA_STATE_KEY_MISSING');
  assert.equal(await store.get(STATE_KEY_ID_KEY), undefined);

  const bad = createMemoryStore();
  await bad.commit({ compare: [], put: [{ key: STATE_KEY_ID_KEY, value: new TextEncoder().encode('{"keyId":"xyz"}') }], delete: [] });
  await assertRejectsCode(() => obtainDataKey(options(bad, network())), 'REPLICA_STATE_KEY_MISSING');
});

test('a local copy this host can no longer open is replaced by an exchanged one', async () => {
  const store = createMemoryStore();
  const net = network();
  const a = await obtainDataKey(options(store, net));
  await net.serve(store, 'a', a.dataKey);
  const o = options(store, net);
  assert.equal((await obtainDataKey(o)).source, 'exchanged');
  const moved = { ...o, sealing: memorySealing() }; // same state dir, another sealing key (host changed)
  assert.equal((await obtainDataKey(moved)).source, 'exchanged');
  assert.equal((await obtainDataKey(moved)).source, 'local');
  await net.stop();
});
