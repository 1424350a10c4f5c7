import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CloisterError } from '../../../src/common/errors.js';
import { toHex } from '../../../src/common/bytes.js';
import { decodeTcb, describeSnpReport, looksLikeSnpReport, parseSnpReport, serializeSnpReport, u64Hex } from '../../../src/evidence/snp/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { caseProduct, snpCases, snpCorpus } from '../../support/snp_vectors.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import { fakeReportBytes } from '../../support/fake_amd_pki.js';

const withReports = () => snpCases().filter((c) => c.files['report'] !== undefined);

test('every real SNP report round-trips parse -> serialize byte for byte', { skip: SKIP_NO_VECTORS }, () => {
  const reports = [...withReports().map((c) => readVector(c.id, c.files['report']!)), ...snpCorpus().flatMap((c) => (c.report === undefined ? [] : [c.report]))];
  assert.ok(reports.length >= 6);
  for (const bytes of reports) {
    assert.ok(looksLikeSnpReport(bytes));
    assert.deepEqual(serializeSnpReport(parseSnpReport(bytes)), bytes);
  }
});

test('decoded fields equal case.json `decoded`', { skip: SKIP_NO_VECTORS }, () => {
  for (const c of withReports()) {
    const d = c.decoded as Record<string, unknown>;
    const r = parseSnpReport(readVector(c.id, c.files['report']!));
    const product = caseProduct(c);
    const tcb = (raw: bigint) => ({ ...decodeTcb(raw, product), raw_u64: u64Hex(raw) });
    const got = {
      version: r.version,
      guest_svn: r.guestSvn,
      policy: Number(r.policy),
      policy_hex: u64Hex(r.policy),
      family_id: toHex(r.familyId),
      image_id: toHex(r.imageId),
      vmpl: r.vmpl,
      signature_algo: r.signatureAlgo,
      platform_info: Number(r.platformInfo),
      flags: r.keyInfo,
      signing_key: r.signingKey === 'vcek' ? 0 : r.signingKey === 'vlek' ? 1 : 7,
      mask_chip_key: r.maskChipKey ? 1 : 0,
      author_key_en: r.authorKeyEn ? 1 : 0,
      report_data: toHex(r.reportData),
      measurement: toHex(r.measurement),
      host_data: toHex(r.hostData),
      id_key_digest: toHex(r.idKeyDigest),
      author_key_digest: toHex(r.authorKeyDigest),
      report_id: toHex(r.reportId),
      report_id_ma: toHex(r.reportIdMa),
      chip_id: toHex(r.chipId),
      cpuid_fam_id: r.cpuid?.family ?? 0,
      cpuid_mod_id: r.cpuid?.model ?? 0,
      cpuid_step: r.cpuid?.stepping ?? 0,
      current_major: r.currentVersion.major,
      current_minor: r.currentVersion.minor,
      current_build: r.currentVersion.build,
      committed_major: r.committedVersion.major,
      committed_minor: r.committedVersion.minor,
      committed_build: r.committedVersion.build,
      current_tcb: tcb(r.currentTcb),
      reported_tcb: tcb(r.reportedTcb),
      committed_tcb: tcb(r.committedTcb),
      launch_tcb: tcb(r.launchTcb),
      debug_allowed_by_policy: (r.policy & (1n << 19n)) !== 0n,
    };
    assert.deepEqual(got, d, c.id);
    assert.equal(r.cpuid === undefined, r.version === 2, c.id);
    assert.ok(describeSnpReport(r).some((row) => row.field === 'measurement' && row.value === d['measurement']));
  }
});

test('wrong sizes are rejected', { skip: SKIP_NO_VECTORS }, () => {
  const bytes = readVector('snp/virtee-milan', 'report.bin');
  assertThrowsCode(() => parseSnpReport(bytes.subarray(0, 1183)), 'REPORT_TRUNCATED');
  assertThrowsCode(() => parseSnpReport(new Uint8Array(0)), 'REPORT_TRUNCATED');
  assertThrowsCode(() => parseSnpReport(new Uint8Array([...bytes, 0])), 'REPORT_TRAILING_DATA');
  assert.equal(looksLikeSnpReport(bytes.subarray(0, 1183)), false);
});

test('versions other than 2, 3, 5 and signature algorithms other than 1 are rejected', () => {
  for (const v of [0, 1, 4, 6, 0x100]) {
    const b = fakeReportBytes({});
    new DataView(b.buffer).setUint32(0, v, true);
    assertThrowsCode(() => parseSnpReport(b), 'REPORT_VERSION_UNSUPPORTED', `version ${v}`);
  }
  for (const a of [0, 2, 0xffffffff]) {
    const b = fakeReportBytes({});
    new DataView(b.buffer).setUint32(0x34, a, true);
    assertThrowsCode(() => parseSnpReport(b), 'REPORT_SIGNATURE_ALGO_UNSUPPORTED', `algo ${a}`);
  }
});

test('every reserved byte is checked, per version', () => {
  const reservedFor = (v: number): number[] => {
    const out: number[] = [0x4c, 0x4d, 0x4e, 0x4f, 0x1eb, 0x1ef];
    for (let i = v >= 3 ? 0x18b : 0x188; i < 0x1a0; i++) out.push(i);
    for (let i = v >= 5 ? 0x208 : 0x1f8; i < 0x2a0; i++) out.push(i);
    for (let i = 0x2a0 + 144; i < 0x4a0; i++) out.push(i);
    return out;
  };
  for (const version of [2, 3, 5]) {
    const good = fakeReportBytes({ version });
    for (const i of reservedFor(version)) {
      const b = good.slice();
      b[i] = 0x80;
      assertThrowsCode(() => parseSnpReport(b), 'REPORT_RESERVED_NONZERO', `v${version} offset 0x${i.toString(16)}`);
    }
  }
  // KEY_INFO: bits 31:5 reserved, SIGNING_KEY 2..6 reserved
  for (const keyInfo of [0x20, 0x8000_0000, 2 << 2, 6 << 2]) {
    const b = fakeReportBytes({});
    new DataView(b.buffer).setUint32(0x48, keyInfo, true);
    assertThrowsCode(() => parseSnpReport(b), 'REPORT_RESERVED_NONZERO', `keyInfo ${keyInfo}`);
  }
});

test('v3 CPUID and v5 mitigation vectors are decoded and serialized', () => {
  const b = fakeReportBytes({ version: 5, cpuid: { family: 0x1a, model: 2, stepping: 1 }, launchMitVector: 0x0102n, currentMitVector: 0xffff_0000_0000_0001n });
  const r = parseSnpReport(b);
  assert.deepEqual(r.cpuid, { family: 0x1a, model: 2, stepping: 1 });
  assert.equal(r.launchMitVector, 0x0102n);
  assert.equal(r.currentMitVector, 0xffff_0000_0000_0001n);
  assert.equal(b[0x1f8], 2);
  assert.equal(b[0x207], 0xff);
  assert.deepEqual(serializeSnpReport(r), b);
  assert.ok(describeSnpReport(r).some((row) => row.field === 'current_mit_vector'));
  const v2 = parseSnpReport(fakeReportBytes({ version: 2, cpuid: { family: 1, model: 1, stepping: 1 } }));
  assert.equal(v2.cpuid, undefined);
  assert.equal(v2.launchMitVector, undefined);
});

test('the report is a private copy: changing the input later changes nothing', () => {
  const b = fakeReportBytes({});
  const r = parseSnpReport(b);
  b[0x90] = 0x00;
  assert.equal(r.measurement[0], 0xab);
});

test('serialize rejects fields of the wrong size', () => {
  const r = parseSnpReport(fakeReportBytes({}));
  assertThrowsCode(() => serializeSnpReport({ ...r, measurement: new Uint8Array(47) }), 'REPORT_FIELD_INVALID');
  assertThrowsCode(() => serializeSnpReport({ ...r, version: 4 }), 'REPORT_FIELD_INVALID');
});

test('TCB_VERSION layouts: Milan/Genoa and Turin', () => {
  // go-sev-guest-milan: 0x4405000000000002 = bl 2, tee 0, snp 5, ucode 68
  assert.deepEqual(decodeTcb(0x4405000000000002n, 'Milan'), { bootloader: 2, tee: 0, snp: 5, microcode: 68 });
  assert.deepEqual(decodeTcb(0x4400000004030201n, 'Turin'), { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 0x44 });
});

test('fast-check: random bytes and mutated reports throw only CloisterErrors; parse success implies exact round trip', () => {
  const seed = fakeReportBytes({ version: 3 });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 1300 }), fc.uint8Array({ minLength: 1184, maxLength: 1184 }),
      fc.array(fc.tuple(fc.nat(1183), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
        const b = seed.slice();
        for (const [i, v] of edits) b[i] = v;
        return b;
      })), (bytes) => {
      try {
        const r = parseSnpReport(bytes);
        assert.deepEqual(serializeSnpReport(r), bytes);
      } catch (e) {
        if (!(e instanceof CloisterError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
});
