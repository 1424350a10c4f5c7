import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  detectProvider,
  gramineProvider,
  loadOrCreatePlatform,
  platformPublicKeyPem,
  simulatedProvider,
  tsmProvider,
  nodeDeviceFs,
} from '../../src/tee/index.js';
import { looksLikeSimulatedEvidence, verifySimulatedEvidence } from '../../src/verify/sim/index.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { fakeGramine, fakeTsm } from './fake_devices.js';

const base = mkdtempSync(join(tmpdir(), 'cloister-tee-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const dir = (name: string) => join(base, `${name}${n++}`);
const RD = new Uint8Array(64).map((_, i) => i * 3);
const MEASUREMENT = 'ab'.repeat(48);

test('simulated provider: evidence verifies under the platform key and carries measurement + report data', async () => {
  const platformDir = dir('plat');
  const p = simulatedProvider({ platformDir, measurement: MEASUREMENT });
  assert.equal(p.kind, 'simulated');
  const ev = await p.getEvidence(RD);
  assert.equal(ev.tee, 'simulated');
  assert.ok(looksLikeSimulatedEvidence(ev.evidence));
  const platform = await loadOrCreatePlatform(platformDir);
  const r = verifySimulatedEvidence(ev.evidence, { trustedPlatformKeys: [platformPublicKeyPem(platform)] });
  assert.equal(r.claims.measurement, MEASUREMENT);
  assert.equal(r.claims.reportData, Buffer.from(RD).toString('hex'));
  assert.equal(r.claims.platformKeyFingerprint, platform.fingerprint);
  // another host's platform is not trusted
  const otherPlatform = await loadOrCreatePlatform(dir('other'));
  assertThrowsCode(() => verifySimulatedEvidence(ev.evidence, { trustedPlatformKeys: [otherPlatform.publicKey] }), 'SIM_PLATFORM_UNTRUSTED');
});

test('simulated provider: report data must be 64 bytes, measurement 48', async () => {
  const p = simulatedProvider({ platformDir: dir('plat'), measurement: MEASUREMENT });
  for (const len of [0, 32, 63, 65]) await assertRejectsCode(() => p.getEvidence(new Uint8Array(len)), 'TEE_REPORT_DATA_INVALID', `len ${len}`);
  for (const m of ['ab'.repeat(32), 'zz'.repeat(48), '']) assertThrowsCode(() => simulatedProvider({ measurement: m }), 'SIM_MEASUREMENT_INVALID');
});

test('gramine: writes user_report_data, reads the quote', async () => {
  for (const quoteVersion of [3, 4, 5]) {
    const root = dir('gramine');
    const ev = await gramineProvider({ root, fs: fakeGramine(root, { quoteVersion }) }).getEvidence(RD);
    assert.equal(ev.tee, 'sgx');
    assert.deepEqual(ev.evidence.subarray(quoteVersion === 5 ? 374 : 368, (quoteVersion === 5 ? 374 : 368) + 64), RD);
  }
});

test('gramine: concurrent requests are serialized (each quote carries its own report data)', async () => {
  const root = dir('gramine');
  const p = gramineProvider({ root, fs: fakeGramine(root) });
  const rds = Array.from({ length: 5 }, (_, i) => new Uint8Array(64).fill(i + 1));
  const evs = await Promise.all(rds.map((rd) => p.getEvidence(rd)));
  evs.forEach((ev, i) => assert.deepEqual(ev.evidence.subarray(368, 432), rds[i]));
});

test('gramine: missing device, wrong attestation type, stale or foreign quote', async () => {
  await assertRejectsCode(() => gramineProvider({ root: dir('absent') }).getEvidence(RD), 'TEE_DEVICE_MISSING');
  const epid = dir('gramine');
  await assertRejectsCode(() => gramineProvider({ root: epid, fs: fakeGramine(epid, { attestationType: 'epid' }) }).getEvidence(RD), 'TEE_ATTESTATION_TYPE_UNSUPPORTED');
  const none = dir('gramine');
  await assertRejectsCode(() => gramineProvider({ root: none, fs: fakeGramine(none, { attestationType: 'none' }) }).getEvidence(RD), 'TEE_ATTESTATION_TYPE_UNSUPPORTED');
  // a plain directory: the quote file does not react to the write (stale quote from someone else)
  const stat = dir('gramine');
  fakeGramine(stat);
  writeFileSync(join(stat, 'quote'), new Uint8Array(1000).fill(3, 0, 1));
  await assertRejectsCode(() => gramineProvider({ root: stat, fs: nodeDeviceFs }).getEvidence(RD), 'TEE_EVIDENCE_INVALID');
  writeFileSync(join(stat, 'quote'), new Uint8Array(100));
  await assertRejectsCode(() => gramineProvider({ root: stat, fs: nodeDeviceFs }).getEvidence(RD), 'TEE_EVIDENCE_INVALID');
  const noQuote = dir('gramine');
  fakeGramine(noQuote);
  await assertRejectsCode(() => gramineProvider({ root: noQuote, fs: nodeDeviceFs }).getEvidence(RD), 'TEE_DEVICE_MISSING');
  await assertRejectsCode(() => gramineProvider({ root: noQuote, fs: fakeGramine(noQuote) }).getEvidence(new Uint8Array(32)), 'TEE_REPORT_DATA_INVALID');
});

test('tsm: sev_guest and tdx_guest, with and without auxblob; the entry is removed', async () => {
  for (const [provider, tee] of [['sev_guest', 'snp'], ['tdx_guest', 'tdx']] as const) {
    const root = dir('tsm');
    const fs = fakeTsm(root, { provider, auxblob: provider === 'sev_guest' ? Uint8Array.of(1, 2, 3) : undefined });
    const ev = await tsmProvider({ root, fs }).getEvidence(RD);
    assert.equal(ev.tee, tee);
    const off = provider === 'tdx_guest' ? 568 : 0x50;
    assert.deepEqual(ev.evidence.subarray(off, off + 64), RD);
    assert.deepEqual(ev.certs, provider === 'sev_guest' ? Uint8Array.of(1, 2, 3) : undefined);
    assert.equal(fs.entriesCreated.length, 1);
    assert.deepEqual(readdirSync(root), []);
  }
});

test('tsm: concurrent requests use separate entries', async () => {
  const root = dir('tsm');
  const fs = fakeTsm(root);
  const p = tsmProvider({ root, fs });
  const rds = Array.from({ length: 4 }, (_, i) => new Uint8Array(64).fill(i + 7));
  const evs = await Promise.all(rds.map((rd) => p.getEvidence(rd)));
  evs.forEach((ev, i) => assert.deepEqual(ev.evidence.subarray(0x50, 0x90), rds[i]));
  assert.equal(new Set(fs.entriesCreated).size, 4);
  assert.deepEqual(readdirSync(root), []);
});

test('tsm: a racing writer on the same entry is detected', async () => {
  const root = dir('tsm');
  const fs = fakeTsm(root, {
    beforeOutblob: async (entry, f) => {
      await f.writeFile(join(entry, 'inblob'), new Uint8Array(64).fill(0xee));
    },
  });
  const e = await assertRejectsCode(() => tsmProvider({ root, fs }).getEvidence(RD), 'TSM_GENERATION_RACE');
  assert.deepEqual(e.detail, { before: 0, after: 2 });
  assert.deepEqual(readdirSync(root), [], 'the entry is removed on failure too');
});

test('tsm: missing root, missing attributes, unknown provider, empty outblob', async () => {
  await assertRejectsCode(() => tsmProvider({ root: dir('absent') }).getEvidence(RD), 'TEE_DEVICE_MISSING');
  for (const omit of ['provider', 'generation']) {
    const root = dir('tsm');
    await assertRejectsCode(() => tsmProvider({ root, fs: fakeTsm(root, { omit }) }).getEvidence(RD), 'TEE_DEVICE_MISSING', omit);
  }
  const empty = dir('tsm');
  const emptyFs = fakeTsm(empty, { beforeOutblob: async (entry) => writeFileSync(join(entry, 'outblob'), '') });
  await assertRejectsCode(() => tsmProvider({ root: empty, fs: emptyFs }).getEvidence(RD), 'TEE_EVIDENCE_INVALID');
  const sgx = dir('tsm');
  await assertRejectsCode(() => tsmProvider({ root: sgx, fs: fakeTsm(sgx, { provider: 'sgx_guest' }) }).getEvidence(RD), 'TSM_PROVIDER_UNKNOWN');
  // a plain directory: mkdir works, but no attribute appears (configfs not behind it)
  const plain = dir('tsm');
  await nodeDeviceFs.mkdir(plain);
  await assertRejectsCode(() => tsmProvider({ root: plain }).getEvidence(RD), 'TEE_DEVICE_MISSING');
  const root = dir('tsm');
  await assertRejectsCode(() => tsmProvider({ root, fs: fakeTsm(root) }).getEvidence(new Uint8Array(65)), 'TEE_REPORT_DATA_INVALID');
});

test('detectProvider: gramine, then tsm, then simulated only when asked', async () => {
  const g = dir('gramine');
  const fsG = fakeGramine(g);
  assert.equal((await detectProvider({ gramineRoot: g, tsmRoot: dir('absent'), fs: fsG })).kind, 'gramine');
  const t = dir('tsm');
  fakeTsm(t);
  assert.equal((await detectProvider({ gramineRoot: dir('absent'), tsmRoot: t })).kind, 'tsm');
  const none = { gramineRoot: dir('absent'), tsmRoot: dir('absent') };
  await assertRejectsCode(() => detectProvider(none), 'TEE_NOT_DETECTED');
  const sim = await detectProvider({ ...none, simulated: { platformDir: dir('plat'), measurement: MEASUREMENT } });
  assert.equal(sim.kind, 'simulated');
});
