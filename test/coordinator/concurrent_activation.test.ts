import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createCoordinator, type Coordinator } from '../../src/coordinator/index.js';
import { createMetrics } from '../../src/coordinator/metrics.js';
import { createWorkloadVerifier } from '../../src/coordinator/workload_verifier.js';
import { createInstanceKey, type InstanceKey } from '../../src/runtime/index.js';
import { createSealedStore, openFileStore, type Store } from '../../src/store/index.js';
import { loadOrCreatePlatform, simulatedProvider, type SimulatedPlatform } from '../../src/tee/index.js';
import { activationReportData } from '../../src/verify/index.js';

/**
 * Many activations of one workload at once (workloads of a deployment start together): every
 * one must succeed with its own instance id, and a maxActivations limit must hold exactly,
 * on the real sealed file store (group commit). Before activation_slots.ts, concurrent
 * activations raced on the workload's counter and most failed with STATE_CONCURRENT_UPDATE.
 */
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const MEASUREMENT = 'ab'.repeat(48);
let platform: SimulatedPlatform;
let store: Store;
let c: Coordinator;
let keys: InstanceKey[];
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloister-concurrent-'));
  platform = await loadOrCreatePlatform(join(dir, 'platform'));
  store = createSealedStore(await openFileStore(join(dir, 'state')), { dataKey: random.bytes(32), random });
  c = await createCoordinator({
    store,
    clock: { now: () => new Date() },
    random,
    verifier: createWorkloadVerifier({ simulation: true, trustedPlatformKeys: [platform.publicKey] }),
    evidence: simulatedProvider({ platform, measurement: MEASUREMENT }),
    log: pino({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    simulation: true,
    version: 'test',
  });
  await c.setManifest(
    JSON.stringify({
      packages: { app: { simulated: { measurements: [MEASUREMENT] } } },
      workloads: { api: { package: 'app' }, limited: { package: 'app', maxActivations: 5 } },
      secrets: { session: { type: 'random', size: 16, scope: 'per-instance' } },
    }),
  );
  keys = await Promise.all(Array.from({ length: 8 }, () => createInstanceKey('w')));
});
after(async () => {
  await store?.close(); // before the directory goes: close folds the log into the snapshot
  await rm(dir, { recursive: true, force: true });
});

async function activateOnce(workload: string, i: number, instanceId?: string) {
  const key = keys[i % keys.length]!;
  const { nonce } = c.issueNonce();
  const ev = await simulatedProvider({ platform, measurement: MEASUREMENT }).getEvidence(activationReportData(key.spki, nonce));
  return c.activate({ workload, nonce, evidence: { tee: 'simulated', data: ev.evidence, certs: [] }, csrPem: key.csrPem, ...(instanceId === undefined ? {} : { instanceId }) });
}

const settle = <T>(ps: Promise<T>[]) => Promise.allSettled(ps);
const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok');

test('40 concurrent activations of one workload all succeed with distinct instance ids', async () => {
  const results = await settle(Array.from({ length: 40 }, (_, i) => activateOnce('api', i)));
  assert.deepEqual(results.map(codeOf), Array<string>(40).fill('ok'));
  const ids = results.map((r) => (r.status === 'fulfilled' ? r.value.instanceId : ''));
  assert.equal(new Set(ids).size, 40);
  assert.ok(ids.every((id) => /^api-\d+$/.test(id)));
  assert.equal((await store.list('instances/api/')).length, 40);
  const counter = JSON.parse(new TextDecoder().decode((await store.get('counters/api'))!.value)) as { count: number; next: number };
  assert.equal(counter.count, 40);
  // Auto ids handed out next never collide with the ones taken.
  const next = await activateOnce('api', 0);
  assert.ok(!ids.includes(next.instanceId));
});

test('maxActivations holds exactly under 20 concurrent activations', async () => {
  const results = await settle(Array.from({ length: 20 }, (_, i) => activateOnce('limited', i)));
  const codes = results.map(codeOf);
  assert.equal(codes.filter((x) => x === 'ok').length, 5, codes.join(','));
  assert.equal(codes.filter((x) => x === 'MAX_ACTIVATIONS_REACHED').length, 15, codes.join(','));
  assert.equal((await store.list('instances/limited/')).length, 5);
});

test('concurrent renewals of one explicit instance id each revoke the previous certificate', async () => {
  const first = await activateOnce('api', 1, 'fixed');
  const renewals = await settle(Array.from({ length: 6 }, (_, i) => activateOnce('api', i, 'fixed')));
  assert.deepEqual(renewals.map(codeOf), Array<string>(6).fill('ok'));
  const serials = [first, ...renewals.map((r) => (r.status === 'fulfilled' ? r.value : first))].map((a) => a.certificatePem);
  assert.equal(new Set(serials).size, 7);
  // Every superseded certificate is on the revocation list: 6 renewals, 6 revocations of 'fixed'.
  const revoked = (await store.list('revocations/')).filter((e) => new TextDecoder().decode(e.value).includes('"fixed"'));
  assert.equal(revoked.length, 6);
});
