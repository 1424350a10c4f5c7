import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { createNonceRegistry } from '../../src/coordinator/nonces.js';
import type { WorkloadClaims } from '../../src/coordinator/package_match.js';
import { openReplicaKey, sealReplicaKey, x25519KeyPair } from '../../src/coordinator/replica_key_envelope.js';
import { createReplicaKeyService, replicaKeyReportData, type ReplicaKeyServiceOptions } from '../../src/coordinator/replica_key_service.js';
import { replicaMeasurementOf } from '../../src/coordinator/replica_measurement.js';
import { createWorkloadVerifier, type WorkloadEvidence } from '../../src/coordinator/workload_verifier.js';
import { dataKeyId } from '../../src/store/index.js';
import { loadOrCreatePlatform, simulatedProvider } from '../../src/tee/index.js';
import type { SgxClaims, TdxClaims, SnpClaims } from '../../src/verify/index.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { captureLog, clockAt, expected, fixture, MEASUREMENT, OTHER_MEASUREMENT, random, type Fixture } from './replica_fixture.js';

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(() => fx.close());

const dataKey = new Uint8Array(randomBytes(32));
const clock = clockAt(Date.parse('2030-01-01T00:00:00Z'));

function service(o: Partial<ReplicaKeyServiceOptions> = {}) {
  const nonces = createNonceRegistry({ clock, random, ttlMs: 60_000, capacity: 100 });
  const cap = captureLog();
  const s = createReplicaKeyService({ dataKey, verifier: fx.verifier, expectedMeasurement: expected, nonces, clock, random, log: cap.log, ...o });
  return { s, nonces: o.nonces ?? nonces, lines: cap.lines };
}

/** A requesting replica: its X25519 key, and simulated evidence bound to (that key or `bindKey`, nonce or `bindNonce`). */
async function request(nonce: Uint8Array, o: { measurement?: string; bindKey?: Uint8Array; bindNonce?: Uint8Array } = {}) {
  const kp = x25519KeyPair(random);
  const ev = await fx.evidence(o.measurement).getEvidence(replicaKeyReportData(o.bindKey ?? kp.publicKeySpki, o.bindNonce ?? nonce));
  const evidence: WorkloadEvidence = { tee: ev.tee, data: ev.evidence, certs: [] };
  return { kp, req: { nonce, evidence, publicKey: kp.publicKeySpki } };
}

test('an attested replica with the same measurement gets the data key, sealed to its key; the log names no key', async () => {
  const { s, nonces, lines } = service();
  const nonce = nonces.issue().nonce;
  const { kp, req } = await request(nonce);
  const answer = await s.handOver(req);
  assert.equal(answer.keyId, toHex(dataKeyId(dataKey)));
  assert.deepEqual(openReplicaKey({ envelope: answer.envelope, privateKey: kp.privateKey, nonce }), dataKey);
  const info = lines.filter((l) => l.level === 'info');
  assert.equal(info.length, 1);
  assert.equal(info[0]!.obj.measurement, MEASUREMENT);
  assert.ok(!JSON.stringify(lines).includes(toHex(dataKey)), 'never the key');
  // PEM works as well as DER
  const n2 = nonces.issue().nonce;
  const r2 = await request(n2);
  const pem = (await import('node:crypto')).createPublicKey({ key: Buffer.from(r2.kp.publicKeySpki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
  assert.deepEqual(openReplicaKey({ envelope: (await s.handOver({ ...r2.req, publicKey: pem })).envelope, privateKey: r2.kp.privateKey, nonce: n2 }), dataKey);
});

test('a replayed or unknown nonce is refused before anything else', async () => {
  const { s, nonces, lines } = service();
  const nonce = nonces.issue().nonce;
  const { req } = await request(nonce);
  await s.handOver(req);
  await assertRejectsCode(() => s.handOver(req), 'NONCE_INVALID');
  await assertRejectsCode(async () => s.handOver((await request(new Uint8Array(randomBytes(32)))).req), 'NONCE_INVALID');
  assert.equal(lines.filter((l) => l.level === 'warn').length, 2, 'refusals logged');
});

test('another measurement or another TEE is refused', async () => {
  const { s, nonces } = service();
  const n = nonces.issue().nonce;
  await assertRejectsCode(async () => s.handOver((await request(n, { measurement: OTHER_MEASUREMENT })).req), 'REPLICA_MEASUREMENT_MISMATCH');
  const other = service({ expectedMeasurement: { tee: 'sgx', measurement: MEASUREMENT } });
  const n2 = other.nonces.issue().nonce;
  await assertRejectsCode(async () => other.s.handOver((await request(n2)).req), 'REPLICA_MEASUREMENT_MISMATCH');
});

test('evidence bound to another key or another nonce is refused', async () => {
  const { s, nonces } = service();
  const n1 = nonces.issue().nonce;
  const attacker = x25519KeyPair(random);
  await assertRejectsCode(async () => s.handOver((await request(n1, { bindKey: attacker.publicKeySpki })).req), 'REPLICA_BINDING_MISMATCH');
  const n2 = nonces.issue().nonce;
  await assertRejectsCode(async () => s.handOver((await request(n2, { bindNonce: new Uint8Array(32) })).req), 'REPLICA_BINDING_MISMATCH');
  // the classic swap: valid evidence of a genuine replica, presented with the attacker's key
  const n3 = nonces.issue().nonce;
  const genuine = await request(n3);
  await assertRejectsCode(() => s.handOver({ ...genuine.req, publicKey: attacker.publicKeySpki }), 'REPLICA_BINDING_MISMATCH');
});

test('evidence that does not verify is refused: untrusted platform, simulation off, tampered bytes', async () => {
  const otherPlatform = await loadOrCreatePlatform(join(fx.dir, 'other-platform'));
  const { s, nonces } = service();
  const n1 = nonces.issue().nonce;
  const kp = x25519KeyPair(random);
  const ev = await simulatedProvider({ platform: otherPlatform, measurement: MEASUREMENT }).getEvidence(replicaKeyReportData(kp.publicKeySpki, n1));
  await assertRejectsCode(() => s.handOver({ nonce: n1, evidence: { tee: 'simulated', data: ev.evidence, certs: [] }, publicKey: kp.publicKeySpki }), 'REPLICA_EVIDENCE_INVALID');

  const hw = service({ verifier: createWorkloadVerifier({ simulation: false, trustedPlatformKeys: [] }) });
  const n2 = hw.nonces.issue().nonce;
  await assertRejectsCode(async () => hw.s.handOver((await request(n2)).req), 'REPLICA_EVIDENCE_INVALID');

  const n3 = nonces.issue().nonce;
  const { req } = await request(n3);
  const data = new Uint8Array(req.evidence.data);
  data[30]! ^= 0x01; // inside the signed measurement
  await assertRejectsCode(() => s.handOver({ ...req, evidence: { ...req.evidence, data } }), 'REPLICA_EVIDENCE_INVALID');
});

test('a requester key that is not X25519 is refused', async () => {
  const { s, nonces } = service();
  const n = nonces.issue().nonce;
  const { req } = await request(n);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await assertRejectsCode(() => s.handOver({ ...req, publicKey: ec }), 'REQUEST_INVALID');
  await assertRejectsCode(() => s.handOver({ ...req, nonce: nonces.issue().nonce, publicKey: 'not a key' }), 'REQUEST_INVALID');
});

/** A verifier that returns fixed hardware claims, bound to whatever the request asks for. */
function hardwareService(claims: (reportData: string) => WorkloadClaims) {
  let bound = '';
  const verifier = { verify: async () => claims(bound) };
  const h = service({ verifier, expectedMeasurement: { tee: 'sgx', measurement: 'aa'.repeat(32) } });
  return {
    ...h,
    async ask() {
      const nonce = h.nonces.issue().nonce;
      const kp = x25519KeyPair(random);
      bound = toHex(replicaKeyReportData(kp.publicKeySpki, nonce));
      return h.s.handOver({ nonce, evidence: { tee: 'sgx', data: new Uint8Array(8), certs: [] }, publicKey: kp.publicKeySpki });
    },
  };
}
const sgx = (reportData: string, o: Partial<SgxClaims> = {}, status: 'UpToDate' | 'OutOfDate' = 'UpToDate'): WorkloadClaims => ({
  tee: 'sgx',
  status,
  claims: { mrenclave: 'aa'.repeat(32), mrsigner: 'bb'.repeat(32), isvProdId: 0, isvSvn: 0, reportData, debug: false, fmspc: '00606a000000', ...o },
});

test('hardware evidence: a debuggable enclave or a not-accepted TCB status is refused, an up-to-date one served', async () => {
  assert.equal((await hardwareService((rd) => sgx(rd)).ask()).keyId, toHex(dataKeyId(dataKey)));
  await assertRejectsCode(() => hardwareService((rd) => sgx(rd, { debug: true })).ask(), 'REPLICA_EVIDENCE_INVALID');
  await assertRejectsCode(() => hardwareService((rd) => sgx(rd, {}, 'OutOfDate')).ask(), 'REPLICA_EVIDENCE_INVALID');
  await assertRejectsCode(() => hardwareService((rd) => sgx(rd, { mrenclave: 'ab'.repeat(32) })).ask(), 'REPLICA_MEASUREMENT_MISMATCH');
});

test('replica measurements per TEE: MRENCLAVE; MRTD+RTMR0-2+MRCONFIGID; MEASUREMENT+HOST_DATA', () => {
  assert.deepEqual(replicaMeasurementOf(sgx('00')), { tee: 'sgx', measurement: 'aa'.repeat(32) });
  const tdx = { mrtd: '01', rtmr0: '02', rtmr1: '03', rtmr2: '04', rtmr3: '05', mrConfigId: '06' } as unknown as TdxClaims;
  assert.deepEqual(replicaMeasurementOf({ tee: 'tdx', status: 'UpToDate', claims: tdx }), { tee: 'tdx', measurement: '0102030406' });
  const snp = { measurement: '0a', hostData: '0b' } as unknown as SnpClaims;
  assert.deepEqual(replicaMeasurementOf({ tee: 'snp', status: 'UpToDate', claims: snp }), { tee: 'snp', measurement: '0a0b' });
});

test('the envelope opens only with the requester key and the same nonce; every byte is authenticated', () => {
  const kp = x25519KeyPair(random);
  const nonce = new Uint8Array(randomBytes(32));
  const env = sealReplicaKey({ dataKey, recipientSpki: kp.publicKeySpki, nonce, random });
  assert.deepEqual(openReplicaKey({ envelope: env, privateKey: kp.privateKey, nonce }), dataKey);
  assertThrowsCode(() => openReplicaKey({ envelope: env, privateKey: x25519KeyPair(random).privateKey, nonce }), 'REPLICA_ENVELOPE_INVALID');
  assertThrowsCode(() => openReplicaKey({ envelope: env, privateKey: kp.privateKey, nonce: new Uint8Array(32) }), 'REPLICA_ENVELOPE_INVALID');
  for (let i = 0; i < env.length; i++) {
    const t = new Uint8Array(env);
    t[i]! ^= 0x80;
    assertThrowsCode(() => openReplicaKey({ envelope: t, privateKey: kp.privateKey, nonce }), 'REPLICA_ENVELOPE_INVALID', `byte ${i}`);
  }
  assertThrowsCode(() => openReplicaKey({ envelope: env.subarray(0, env.length - 1), privateKey: kp.privateKey, nonce }), 'REPLICA_ENVELOPE_INVALID');
  // a low-order recipient key (all-zero u-coordinate) is refused when sealing
  const zeroSpki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), Buffer.alloc(32)]);
  assertThrowsCode(() => sealReplicaKey({ dataKey, recipientSpki: zeroSpki, nonce, random }), 'REQUEST_INVALID');
});
