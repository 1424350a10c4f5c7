import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createCa, issueLeaf } from '../../src/ca/index.js';
import { obtainDataKey, type ObtainDataKeyOptions } from '../../src/coordinator/data_key_bootstrap.js';
import { problemFor } from '../../src/coordinator/http/problem.js';
import { registerReplicaRoutes, REPLICA_DATA_KEY_PATH } from '../../src/coordinator/http/replica_routes.js';
import { createRateLimiter } from '../../src/coordinator/rate_limit.js';
import { httpsReplicaKeyClient } from '../../src/coordinator/replica_key_client.js';
import { createReplicaKeyService } from '../../src/coordinator/replica_key_service.js';
import { registerReplica, type ReplicaRegistration } from '../../src/coordinator/replica_registry.js';
import { createStatelessNonceRegistry } from '../../src/coordinator/stateless_nonces.js';
import { request, ClientError } from '../../src/runtime/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { captureLog, clockAt, expected, fixture, memorySealing, MEASUREMENT, OTHER_MEASUREMENT, random, type Fixture } from './replica_fixture.js';

/**
 * The exchange over real HTTPS on 127.0.0.1: replica A serves POST /api/v1/nonce (stateless
 * nonces) and the replica routes on fastify; replica B obtains the key with the HTTPS client.
 */
const clock = clockAt(Date.parse('2030-01-01T00:00:00Z'));
const store = createMemoryStore();
let fx: Fixture;
let app: FastifyInstance;
let url: string;
let rootPem: string;
let registration: ReplicaRegistration;
let dataKeyA: Uint8Array;
const limiter = createRateLimiter({ clock, perSecond: 1, burst: 50 });
const logA = captureLog();

before(async () => {
  fx = await fixture();
  const a = await obtainDataKey({ store, stateDir: join(fx.dir, 'a'), sealing: memorySealing(), evidence: fx.evidence(), client: httpsReplicaKeyClient({ timeoutMs: 5_000 }), replicaId: 'a', clock, random });
  assert.equal(a.source, 'created');
  dataKeyA = a.dataKey;

  // TLS is checked by OpenSSL against the real time, not the pinned test clock
  const tlsNow = new Date();
  const ca = await createCa({ name: 'Replica Test', now: tlsNow, rootLifetimeMs: 86_400_000, intermediateLifetimeMs: 86_400_000 });
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = await issueLeaf(ca, {
    publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    subjectCn: 'replica-a',
    sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
    lifetimeMs: 86_400_000,
    now: tlsNow,
    serverAuth: true,
    clientAuth: false,
  });
  rootPem = ca.root.certPem;
  app = Fastify({ https: { cert: leaf.chainPem, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, logger: false });
  app.setErrorHandler((err, _req, reply) => {
    const p = problemFor(err, { simulation: true });
    return reply.code(p.status).type('application/problem+json').send(p);
  });
  const nonces = createStatelessNonceRegistry({ dataKey: a.dataKey, clock, random, ttlMs: 60_000, usedCapacity: 1000 });
  app.post('/api/v1/nonce', async () => {
    const n = nonces.issue();
    return { nonce: Buffer.from(n.nonce).toString('hex'), expiresAt: n.expiresAt.toISOString() };
  });
  const service = createReplicaKeyService({ dataKey: a.dataKey, verifier: fx.verifier, expectedMeasurement: expected, nonces, clock, random, log: logA.log });
  registerReplicaRoutes(app, service, { limiter, simulation: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  url = `https://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  registration = await registerReplica({ store, replicaId: 'a', url, measurement: MEASUREMENT, clock, onError: () => undefined });
});

after(async () => {
  await registration?.stop();
  await app?.close();
  await fx?.close();
});

function replicaB(o: Partial<ObtainDataKeyOptions> = {}): ObtainDataKeyOptions {
  return { store, stateDir: join(fx.dir, `b-${Math.random().toString(16).slice(2)}`), sealing: memorySealing(), evidence: fx.evidence(), client: httpsReplicaKeyClient({ timeoutMs: 10_000 }), replicaId: 'b', clock, random, attempts: 1, ...o };
}

test('replica B obtains the data key from replica A over HTTPS (unpinned and pinned TLS)', async () => {
  const b = await obtainDataKey(replicaB());
  assert.equal(b.source, 'exchanged');
  assert.deepEqual(b.dataKey, dataKeyA);
  const pinned = await obtainDataKey(replicaB({ client: httpsReplicaKeyClient({ timeoutMs: 10_000, ca: rootPem }) }));
  assert.deepEqual(pinned.dataKey, dataKeyA);
  assert.ok(logA.lines.some((l) => l.level === 'info' && l.obj.measurement === MEASUREMENT));
});

test('refusals travel back as the peer code: wrong measurement; wrong pinned CA fails at TLS', async () => {
  const e = await assertRejectsCode(() => obtainDataKey(replicaB({ evidence: fx.evidence(OTHER_MEASUREMENT) })), 'REPLICA_KEY_UNAVAILABLE');
  assert.deepEqual((e.detail as { failures: Array<{ code: string }> }).failures.map((f) => f.code), ['REPLICA_MEASUREMENT_MISMATCH']);
  const otherCa = await createCa({ name: 'Other', now: new Date(), rootLifetimeMs: 86_400_000, intermediateLifetimeMs: 86_400_000 });
  const t = await assertRejectsCode(() => obtainDataKey(replicaB({ client: httpsReplicaKeyClient({ timeoutMs: 10_000, ca: otherCa.root.certPem }) })), 'REPLICA_KEY_UNAVAILABLE');
  assert.deepEqual((t.detail as { failures: Array<{ code: string }> }).failures.map((f) => f.code), ['COORDINATOR_TLS_MISMATCH']);
});

async function status(body: unknown): Promise<{ status: number; code?: string }> {
  try {
    const r = await request('POST', `${url}${REPLICA_DATA_KEY_PATH}`, body, { timeoutMs: 10_000 });
    return { status: r.status };
  } catch (e) {
    assert.ok(e instanceof ClientError && e.code === 'COORDINATOR_REJECTED', String(e));
    const d = e.detail as { status: number; code?: string };
    return { status: d.status, ...(d.code === undefined ? {} : { code: d.code }) };
  }
}

test('the body is checked at the edge, and the route is rate limited', async () => {
  const ok = { nonce: '00'.repeat(32), evidence: { tee: 'simulated', data: 'AAAA' }, publicKey: `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(40)}\n-----END PUBLIC KEY-----\n` };
  assert.deepEqual(await status({ ...ok, nonce: '00' }), { status: 400, code: 'REQUEST_INVALID' });
  assert.deepEqual(await status({ ...ok, extra: 1 }), { status: 400, code: 'REQUEST_INVALID' });
  assert.deepEqual(await status({ ...ok, evidence: { tee: 'tpm', data: 'AAAA' } }), { status: 400, code: 'REQUEST_INVALID' });
  assert.deepEqual(await status({ ...ok, publicKey: 'x'.repeat(40) }), { status: 400, code: 'REQUEST_INVALID' });
  assert.deepEqual(await status(ok), { status: 403, code: 'NONCE_INVALID' }, 'schema-valid but the nonce was never issued');
  while (limiter.take('127.0.0.1') === true) {
    // drain the bucket (the clock is pinned, so nothing refills)
  }
  assert.deepEqual(await status(ok), { status: 429, code: 'RATE_LIMITED' });
  clock.t += 60_000;
});
