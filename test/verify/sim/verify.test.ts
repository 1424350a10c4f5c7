import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { CloisterError } from '../../../src/common/errors.js';
import {
  SIM_SIGNING_LABEL,
  SIMULATION_NOT_ALLOWED,
  SIM_VERIFY_CODES,
  createSimulatedVerifier,
  encodeSimulatedEvidenceBody,
  looksLikeSimulatedEvidence,
  parseSimulatedEvidence,
  serializeSimulatedEvidence,
  simulatedSignedMessage,
  verifySimulatedEvidence,
} from '../../../src/verify/sim/index.js';
import { VERIFY_CODES, VerifyError } from '../../../src/verify/errors.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { flip } from '../../support/vectors.js';

const platform = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const spki = (k: KeyObject) => new Uint8Array(k.export({ format: 'der', type: 'spki' }));
const MEASUREMENT = new Uint8Array(48).map((_, i) => i);
const REPORT_DATA = new Uint8Array(64).map((_, i) => 0xa0 ^ i);

function make(o: { key?: KeyObject; pub?: KeyObject; reportData?: Uint8Array; label?: Uint8Array } = {}): Uint8Array {
  const pub = o.pub ?? platform.publicKey;
  const body = encodeSimulatedEvidenceBody({ measurement: MEASUREMENT, reportData: o.reportData ?? REPORT_DATA, platformKey: spki(pub) });
  const msg = o.label === undefined ? simulatedSignedMessage(body) : Buffer.concat([o.label, body]);
  const signature = sign('sha384', msg, { key: o.key ?? platform.privateKey, dsaEncoding: 'ieee-p1363' });
  return serializeSimulatedEvidence({ measurement: MEASUREMENT, reportData: o.reportData ?? REPORT_DATA, platformKey: spki(pub), signature: new Uint8Array(signature) });
}
const trusted = { trustedPlatformKeys: [platform.publicKey] };

test('verifies and returns claims marked simulated', () => {
  const r = verifySimulatedEvidence(make(), trusted);
  assert.deepEqual(r, {
    tee: 'simulated',
    claims: {
      measurement: Buffer.from(MEASUREMENT).toString('hex'),
      reportData: Buffer.from(REPORT_DATA).toString('hex'),
      platformKeyFingerprint: createHash('sha256').update(spki(platform.publicKey)).digest('hex'),
      simulated: true,
    },
  });
});

test('trusted keys may be PEM strings or private KeyObjects', () => {
  const pem = platform.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  assert.equal(verifySimulatedEvidence(make(), { trustedPlatformKeys: [other.publicKey, pem] }).tee, 'simulated');
  assert.equal(verifySimulatedEvidence(make(), { trustedPlatformKeys: [platform.privateKey] }).tee, 'simulated');
});

test('every byte of the evidence is covered: flipping any byte is rejected', () => {
  const ev = make();
  const v = createSimulatedVerifier(trusted);
  // regions: header -> MALFORMED, measurement/reportData/signature -> SIGNATURE_INVALID, key -> UNTRUSTED or MALFORMED
  for (let i = 0; i < ev.length; i++) {
    const codes =
      i < 20 || (i >= 132 && i < 134) ? ['SIM_EVIDENCE_MALFORMED']
      : i < 132 ? ['SIM_SIGNATURE_INVALID']
      : i < 134 + 120 ? ['SIM_PLATFORM_UNTRUSTED']
      : ['SIM_SIGNATURE_INVALID'];
    for (const mask of [0x01, 0x80]) assertThrowsCode(() => v.verify(flip(ev, i, mask)), codes, `byte ${i} mask ${mask}`);
  }
});

test('a signature by another platform key, or over another label, is rejected', () => {
  // signed by other, naming other: other is not trusted
  assertThrowsCode(() => verifySimulatedEvidence(make({ key: other.privateKey, pub: other.publicKey }), trusted), 'SIM_PLATFORM_UNTRUSTED');
  // signed by other but naming the trusted key
  assertThrowsCode(() => verifySimulatedEvidence(make({ key: other.privateKey }), trusted), 'SIM_SIGNATURE_INVALID');
  // right key, but no domain label / another label
  assertThrowsCode(() => verifySimulatedEvidence(make({ label: new Uint8Array(0) }), trusted), 'SIM_SIGNATURE_INVALID');
  assertThrowsCode(() => verifySimulatedEvidence(make({ label: SIM_SIGNING_LABEL.map((b, i) => (i === 0 ? b ^ 1 : b)) }), trusted), 'SIM_SIGNATURE_INVALID');
  // nothing trusted
  assertThrowsCode(() => verifySimulatedEvidence(make(), { trustedPlatformKeys: [] }), 'SIM_PLATFORM_UNTRUSTED');
});

test('lengths: truncated, extended, wrong key length, wrong report data length', () => {
  const ev = make();
  for (const n of [0, 15, 16, 20, 133, 134, ev.length - 1]) assertThrowsCode(() => verifySimulatedEvidence(ev.subarray(0, n), trusted), 'SIM_EVIDENCE_MALFORMED', `len ${n}`);
  assertThrowsCode(() => verifySimulatedEvidence(Buffer.concat([ev, Uint8Array.of(0)]), trusted), 'SIM_EVIDENCE_MALFORMED');
  const longKey = ev.slice();
  new DataView(longKey.buffer).setUint16(132, 1000);
  assertThrowsCode(() => verifySimulatedEvidence(longKey, trusted), 'SIM_EVIDENCE_MALFORMED');
  assertThrowsCode(
    () => encodeSimulatedEvidenceBody({ measurement: MEASUREMENT, reportData: new Uint8Array(32), platformKey: spki(platform.publicKey) }),
    'SIM_EVIDENCE_MALFORMED',
  );
  assertThrowsCode(
    () => encodeSimulatedEvidenceBody({ measurement: new Uint8Array(32), reportData: REPORT_DATA, platformKey: spki(platform.publicKey) }),
    'SIM_EVIDENCE_MALFORMED',
  );
});

test('trusted keys that are not P-384 public keys are refused', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const ed = generateKeyPairSync('ed25519').publicKey;
  for (const k of [p256, ed, 'not a pem', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n']) {
    assertThrowsCode(() => verifySimulatedEvidence(make(), { trustedPlatformKeys: [k] }), 'SIM_TRUSTED_KEY_INVALID');
  }
});

test('parse/serialize round trip and magic sniffing', () => {
  const ev = make();
  const p = parseSimulatedEvidence(ev);
  assert.equal(p.kind, 'cloister-simulated-evidence');
  assert.deepEqual(serializeSimulatedEvidence(p), ev);
  assert.ok(looksLikeSimulatedEvidence(ev));
  // hardware evidence never looks simulated: DCAP v3/v4/v5 and SNP v2/v3/v5 start with small LE versions, HCL with "HCLA"
  for (const head of [[3, 0, 2, 0], [4, 0, 2, 0], [5, 0, 2, 0], [2, 0, 0, 0], [3, 0, 0, 0], [5, 0, 0, 0], [0x48, 0x43, 0x4c, 0x41]]) {
    const hw = new Uint8Array(1184);
    hw.set(head);
    assert.equal(looksLikeSimulatedEvidence(hw), false);
    assertThrowsCode(() => verifySimulatedEvidence(hw, trusted), 'SIM_EVIDENCE_MALFORMED');
  }
  assert.equal(ev[0], 0x43); // 'C': not 2..5, so no hardware sniffer takes it
});

test('property: random and mutated bytes only ever throw VerifyError', () => {
  const ev = make();
  const v = createSimulatedVerifier(trusted);
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.tuple(fc.nat(ev.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => flip(ev, i, x))), (bytes) => {
      try {
        v.verify(bytes);
        assert.fail('accepted mutated or random bytes');
      } catch (e) {
        assert.ok(e instanceof VerifyError && e instanceof CloisterError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test('codes are registered in VERIFY_CODES, and SIMULATION_NOT_ALLOWED is exported for the coordinator', () => {
  for (const code of Object.keys(SIM_VERIFY_CODES)) assert.ok(code in VERIFY_CODES, code);
  assert.equal(SIMULATION_NOT_ALLOWED, 'SIMULATION_NOT_ALLOWED');
});

test('verifyAsync agrees with verify on good, tampered and untrusted evidence', async () => {
  const { createSimulatedVerifier } = await import('../../../src/verify/sim/index.js');
  const { loadOrCreatePlatform, createSimulatedEvidence } = await import('../../../src/tee/index.js');
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const platform = await loadOrCreatePlatform(await mkdtemp(join(tmpdir(), 'cloister-sim-async-')));
  const stranger = await loadOrCreatePlatform(await mkdtemp(join(tmpdir(), 'cloister-sim-async-')));
  const v = createSimulatedVerifier({ trustedPlatformKeys: [platform.publicKey] });
  const good = createSimulatedEvidence(platform, new Uint8Array(48).fill(1), new Uint8Array(64).fill(2));
  const sync = v.verify(good);
  assert.deepEqual(await v.verifyAsync(good), sync);
  const bad = good.slice();
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
  await assert.rejects(v.verifyAsync(bad), (e: unknown) => (e as { code?: string }).code === 'SIM_SIGNATURE_INVALID');
  const other = createSimulatedEvidence(stranger, new Uint8Array(48).fill(1), new Uint8Array(64).fill(2));
  await assert.rejects(v.verifyAsync(other), (e: unknown) => (e as { code?: string }).code === 'SIM_PLATFORM_UNTRUSTED');
});
