import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import { attestCoordinator, type AttestCoordinatorOptions } from '../../src/runtime/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { makeRoot, otherPlatform, problem, startFakeCoordinator, tempDir, tlsIdentity, type FakeCoordinator } from './support/fake_coordinator.js';

let fake: FakeCoordinator;
before(async () => {
  fake = await startFakeCoordinator();
});
after(() => fake.close());
beforeEach(async () => {
  fake.routes.clear();
  fake.manifestHash = 'cd'.repeat(32);
  await fake.useTlsFrom(fake.root);
});

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const opts = (o: Partial<AttestCoordinatorOptions> = {}): AttestCoordinatorOptions => ({
  simulation: true,
  platformDir: fake.platformDir,
  now: new Date(),
  random,
  ...o,
});

test('a simulated coordinator attests with the local platform key and its root is returned', async () => {
  const a = await attestCoordinator(fake.url, opts({ expectedManifestHash: 'CD'.repeat(32) }));
  assert.equal(a.tee, 'simulated');
  assert.equal(a.simulated, true);
  assert.equal(a.manifestHash, 'cd'.repeat(32));
  assert.equal(a.rootCaPem.trim(), fake.root.pem.trim());
  assert.equal(a.rootCaFingerprint, fake.root.cert.fingerprint256.replace(/:/g, '').toLowerCase());
  assert.equal(a.claims.reportData.length, 128);
});

test('explicit trusted platform keys replace the local default', async () => {
  const a = await attestCoordinator(fake.url, opts({ platformDir: tempDir('empty'), trustedPlatformKeys: [fake.platformKeyPem] }));
  assert.equal(a.tee, 'simulated');
});

test('a coordinator before its manifest binds an empty manifest hash', async () => {
  fake.manifestHash = null;
  const a = await attestCoordinator(fake.url, opts());
  assert.equal(a.manifestHash, null);
  const e = await assertRejectsCode(() => attestCoordinator(fake.url, opts({ expectedManifestHash: 'cd'.repeat(32) })), 'MANIFEST_HASH_MISMATCH');
  assert.equal(e.detail?.got, null);
});

test('a simulated coordinator is refused without simulation', async () => {
  await assertRejectsCode(() => attestCoordinator(fake.url, opts({ simulation: false })), 'SIMULATED_COORDINATOR_NOT_ALLOWED');
});

test('evidence bound to another nonce is refused (replay)', async () => {
  fake.routes.set('GET /api/v1/attestation', async () => ({ status: 200, json: await fake.attestationFor(randomBytes(32)) }));
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_REPORT_DATA_MISMATCH');
});

test('a returned root other than the bound one is refused', async () => {
  const other = await makeRoot('Other Root');
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    return { status: 200, json: await fake.attestationFor(nonce, { root: other }) };
  });
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_REPORT_DATA_MISMATCH');
});

test('a returned manifest hash other than the bound one is refused', async () => {
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    return { status: 200, json: await fake.attestationFor(nonce, { bindManifestHash: 'ee'.repeat(32) }) };
  });
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_REPORT_DATA_MISMATCH');
});

test('a different expected manifest hash is refused', async () => {
  const e = await assertRejectsCode(() => attestCoordinator(fake.url, opts({ expectedManifestHash: 'ef'.repeat(32) })), 'MANIFEST_HASH_MISMATCH');
  assert.deepEqual(e.detail, { got: 'cd'.repeat(32), want: 'ef'.repeat(32) });
});

test('a TLS certificate that does not chain to the attested root is refused (relay)', async () => {
  await fake.useTlsFrom(await makeRoot('Relay Root'));
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_TLS_MISMATCH');
});

test('an expired TLS certificate under the attested root is refused', async () => {
  await fake.useTlsFrom(fake.root, { notAfter: new Date(Date.now() + 60_000) });
  await assertRejectsCode(() => attestCoordinator(fake.url, opts({ now: new Date(Date.now() + 3600_000) })), 'COORDINATOR_TLS_MISMATCH');
});

test('evidence from an untrusted simulated platform is refused', async () => {
  const other = await otherPlatform();
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    return { status: 200, json: await fake.attestationFor(nonce, { provider: other.provider }) };
  });
  const e = await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_ATTESTATION_INVALID');
  assert.equal(e.detail?.reason, 'SIM_PLATFORM_UNTRUSTED');
  // ... and accepted once that platform key is trusted explicitly
  await attestCoordinator(fake.url, opts({ trustedPlatformKeys: [other.publicKeyPem] }));
});

test('tampered evidence is refused', async () => {
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    const a = await fake.attestationFor(nonce);
    const ev = Buffer.from(a.evidence as string, 'base64');
    ev[ev.length - 1]! ^= 1;
    return { status: 200, json: { ...a, evidence: ev.toString('base64') } };
  });
  const e = await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_ATTESTATION_INVALID');
  assert.equal(e.detail?.reason, 'SIM_SIGNATURE_INVALID');
});

test('an audit head other than the one the evidence binds is refused (history cannot be swapped)', async () => {
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    const a = await fake.attestationFor(nonce);
    return { status: 200, json: { ...a, auditHead: { seq: 1, hash: 'ab'.repeat(32) } } };
  });
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_REPORT_DATA_MISMATCH');
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    const a = await fake.attestationFor(nonce);
    return { status: 200, json: { ...a, auditHead: { seq: 0, hash: 'ab'.repeat(32) } } }; // seq 0 needs the genesis hash
  });
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_RESPONSE_INVALID');
});

test('without a local platform and without keys, simulation has nothing to trust', async () => {
  await assertRejectsCode(() => attestCoordinator(fake.url, opts({ platformDir: tempDir('none') })), 'TRUSTED_PLATFORM_KEY_MISSING');
});

test('hardware evidence that does not verify is refused with the verifier code', async () => {
  fake.routes.set('GET /api/v1/attestation', async () => ({
    status: 200,
    json: { tee: 'sgx', evidence: Buffer.from('not a quote').toString('base64'), rootCa: fake.root.pem, manifestHash: null, auditHead: { seq: 0, hash: '0'.repeat(64) } },
  }));
  const e = await assertRejectsCode(() => attestCoordinator(fake.url, opts({ simulation: false })), 'SIMULATED_COORDINATOR_NOT_ALLOWED');
  assert.ok(e); // the fake sends cloister-simulation: true on every answer
  const e2 = await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_ATTESTATION_INVALID');
  assert.equal(e2.detail?.tee, 'sgx');
  assert.equal(typeof e2.detail?.reason, 'string');
});

test('malformed answers and refusals get their own codes', async () => {
  fake.routes.set('GET /api/v1/attestation', async () => ({ status: 200, json: { tee: 'simulated', evidence: '!!', rootCa: 'x', manifestHash: null } }));
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_RESPONSE_INVALID');
  fake.routes.set('GET /api/v1/attestation', async () => problem(503, 'COORDINATOR_IN_RECOVERY'));
  const e = await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_REJECTED');
  assert.equal(e.detail?.code, 'COORDINATOR_IN_RECOVERY');
  assert.equal(e.detail?.status, 503);
});

test('a non-CA root bound correctly is refused', async () => {
  // a leaf certificate posing as the root, bound and returned consistently
  const id = await tlsIdentity(fake.root);
  const leafAsRoot = { ...fake.root, pem: id.certPem, cert: new X509Certificate(id.certPem) };
  fake.routes.set('GET /api/v1/attestation', async (req) => {
    const nonce = Buffer.from(new URL(req.url!, 'https://x').searchParams.get('nonce')!, 'hex');
    return { status: 200, json: await fake.attestationFor(nonce, { root: leafAsRoot, bindRoot: leafAsRoot }) };
  });
  await assertRejectsCode(() => attestCoordinator(fake.url, opts()), 'COORDINATOR_ROOT_CA_INVALID');
});
