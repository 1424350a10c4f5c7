import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import { activate, deactivate, type ActivateOptions } from '../../src/runtime/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { leafFor, makeIntermediate, makeRoot, startFakeCoordinator, type FakeCoordinator } from './support/fake_coordinator.js';

let fake: FakeCoordinator;
before(async () => {
  fake = await startFakeCoordinator();
});
after(() => fake.close());
beforeEach(() => fake.routes.clear());

const opts = (o: Partial<ActivateOptions> = {}): ActivateOptions => ({
  coordinatorUrl: fake.url,
  rootCaPem: fake.root.pem,
  workload: 'api',
  provider: fake.provider,
  now: new Date(),
  ...o,
});

const rewriteActivation = (edit: (json: Record<string, unknown>) => Promise<Record<string, unknown>>) => fake.rewrite('POST /api/v1/activate', edit);

test('activation: fresh key, bound evidence, certificate for our key under the pinned root', async () => {
  const a = await activate(opts({ instanceId: 'api-7', manifestHash: fake.manifestHash! }));
  assert.equal(a.workload, 'api');
  assert.equal(a.instanceId, 'api-7');
  assert.equal(a.simulation, true);
  assert.equal(a.manifestHash, fake.manifestHash);
  const cert = new X509Certificate(a.certificatePem);
  const ours = createPublicKey(createPrivateKey(a.keyPem));
  assert.ok(cert.publicKey.equals(ours));
  assert.equal(a.chainPem.length, 2);
  // the placeholder for `{{ self.key }}` is replaced by our key everywhere, other bytes untouched
  assert.equal(Buffer.from(a.files.get('/etc/app/key.pem')!).toString(), `key:${a.keyPem}:end`);
  assert.deepEqual([...a.files.get('/etc/app/blob')!], [0, 255, 1]);
  assert.equal(a.env.KEY, a.keyPem);
  assert.equal(a.env.PLAIN, 'x');
  assert.deepEqual(a.argv, ['--key', a.keyPem]);
});

test('each activation uses a new key', async () => {
  const a = await activate(opts());
  const b = await activate(opts());
  assert.notEqual(a.keyPem, b.keyPem);
  assert.equal(a.instanceId, 'api-0');
});

test('a certificate for another key is refused', async () => {
  await rewriteActivation(async (j) => {
    const other = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(other.publicKey.export({ type: 'spki', format: 'der' }));
    return { ...j, certificate: await leafFor(fake.intermediate, spki, 'api') };
  });
  await assertRejectsCode(() => activate(opts()), 'ACTIVATION_KEY_MISMATCH');
});

test('a certificate for our key from another CA is refused', async () => {
  const otherRoot = await makeRoot('Other Root');
  const otherIntermediate = await makeIntermediate(otherRoot, 'Other Intermediate');
  await rewriteActivation(async (j) => {
    const spki = new X509Certificate(j.certificate as string).publicKey.export({ type: 'spki', format: 'der' });
    return { ...j, certificate: await leafFor(otherIntermediate, new Uint8Array(spki), 'api'), chain: [otherIntermediate.pem, otherRoot.pem] };
  });
  await assertRejectsCode(() => activate(opts()), 'ACTIVATION_CHAIN_INVALID');
});

test('a certificate not valid now is refused', async () => {
  await assertRejectsCode(() => activate(opts({ now: new Date(Date.now() + 365 * 24 * 3600_000) })), 'ACTIVATION_CHAIN_INVALID');
});

test('an answer for another workload or manifest is refused', async () => {
  await rewriteActivation(async (j) => ({ ...j, workload: 'db' }));
  await assertRejectsCode(() => activate(opts()), 'ACTIVATION_RESPONSE_MISMATCH');
  fake.routes.clear();
  await assertRejectsCode(() => activate(opts({ manifestHash: 'ef'.repeat(32) })), 'MANIFEST_HASH_MISMATCH');
});

test("the coordinator's refusal carries its code", async () => {
  fake.routes.set('POST /api/v1/nonce', async () => ({ status: 200, json: { nonce: randomBytes(32).toString('hex'), expiresAt: new Date().toISOString() } }));
  const e = await assertRejectsCode(() => activate(opts()), 'COORDINATOR_REJECTED');
  assert.equal(e.detail?.code, 'NONCE_INVALID');
});

test('activation talks only to the pinned root', async () => {
  const other = await makeRoot('Pinned Elsewhere');
  await assertRejectsCode(() => activate(opts({ rootCaPem: other.pem })), 'COORDINATOR_TLS_MISMATCH');
});

test('deactivation presents the instance certificate as TLS client certificate', async () => {
  const a = await activate(opts({ instanceId: 'api-3' }));
  let body: unknown;
  fake.routes.set('POST /api/v1/deactivate', async (_req, b) => {
    body = b;
    return { status: 200, json: { ok: true } };
  });
  assert.deepEqual(await deactivate({ coordinatorUrl: fake.url, rootCaPem: fake.root.pem, workload: 'api', instanceId: a.instanceId, keyPem: a.keyPem, certificatePem: a.certificatePem, chainPem: a.chainPem }), { ok: true });
  assert.deepEqual(body, { workload: 'api', instanceId: 'api-3' });
  const presented = fake.clientCerts.get('/api/v1/deactivate');
  assert.ok(presented !== undefined && new X509Certificate(presented).raw.equals(new X509Certificate(a.certificatePem).raw));
});

