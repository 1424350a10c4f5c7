import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { CloisterError } from '../../../src/common/errors.js';
import { looksLikeHclReport, looksLikeSnpReport, parseHclReport, parseSnpReport } from '../../../src/evidence/snp/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { snpCorpus } from '../../support/snp_vectors.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';

const ID = 'snp/azure-genoa-hcl';

test('the Azure Genoa HCL report: embedded report, runtime data and its SHA-256 binding', { skip: SKIP_NO_VECTORS }, () => {
  const bytes = readVector(ID, 'hcl-report.bin');
  assert.ok(looksLikeHclReport(bytes));
  assert.equal(looksLikeSnpReport(bytes), false);
  const hcl = parseHclReport(bytes);
  assert.deepEqual(hcl.snpReportBytes, readVector(ID, 'report.bin'));
  assert.equal(hcl.hashType, 'sha256');
  assert.equal(hcl.reportType, 2);
  assert.equal(hcl.runtimeData.length, 1200);
  const json = JSON.parse(Buffer.from(hcl.runtimeData).toString('utf8')) as { keys: Array<{ kid: string }> };
  assert.equal(json.keys[0]!.kid, 'HCLAkPub');
  const report = parseSnpReport(hcl.snpReportBytes);
  assert.deepEqual(report.reportData.subarray(0, 32), new Uint8Array(createHash('sha256').update(hcl.runtimeData).digest()));
});

test('every corpus HCL report parses and binds its runtime data', { skip: SKIP_NO_VECTORS }, () => {
  const items = snpCorpus().filter((c) => c.hcl !== undefined);
  assert.ok(items.length >= 1);
  for (const c of items) {
    const hcl = parseHclReport(c.hcl!);
    if (c.report !== undefined) assert.deepEqual(hcl.snpReportBytes, c.report, c.id);
    const r = parseSnpReport(hcl.snpReportBytes);
    assert.deepEqual(r.reportData.subarray(0, 32), new Uint8Array(createHash('sha256').update(hcl.runtimeData).digest()), c.id);
  }
});

test('malformed HCL wrappers are rejected', { skip: SKIP_NO_VECTORS }, () => {
  const good = readVector(ID, 'hcl-report.bin');
  const edit = (f: (dv: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    f(new DataView(b.buffer), b);
    return b;
  };
  const cases: Array<[string, Uint8Array]> = [
    ['too short', good.subarray(0, 0x4d3)],
    ['bad signature', edit((_, b) => (b[0] = 0x41))],
    ['report type not SNP', edit((dv) => dv.setUint32(0x4c0 + 8, 4, true))],
    ['unknown hash type', edit((dv) => dv.setUint32(0x4c0 + 12, 9, true))],
    ['request data version 2', edit((dv) => dv.setUint32(0x4c0 + 4, 2, true))],
    ['data_size inconsistent', edit((dv) => dv.setUint32(0x4c0, 21, true))],
    ['var data size past the end', edit((dv) => { dv.setUint32(0x4c0 + 16, 5000, true); dv.setUint32(0x4c0, 5020, true); dv.setUint32(8, 0x4d4 + 5000, true); })],
    ['report_size inconsistent', edit((dv) => dv.setUint32(8, 0x985, true))],
    ['garbage after the variable data', edit((_, b) => (b[b.length - 1] = 1))],
  ];
  for (const [name, b] of cases) assertThrowsCode(() => parseHclReport(b), 'HCL_REPORT_MALFORMED', name);
});

test('fast-check: random HCL-looking bytes throw only CloisterErrors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), (tail) => {
      const b = new Uint8Array([0x48, 0x43, 0x4c, 0x41, ...tail]);
      try {
        parseHclReport(b);
      } catch (e) {
        if (!(e instanceof CloisterError)) throw e;
      }
    }),
    { numRuns: 300 },
  );
});

test('every byte of the unsigned HCL header is checked (flips are rejected)', { skip: SKIP_NO_VECTORS }, async () => {
  const { parseHclReport } = await import('../../../src/evidence/snp/index.js');
  const hcl = readVector('snp/azure-genoa-hcl', 'hcl-report.bin');
  parseHclReport(hcl);
  for (let i = 0; i < 32; i++) {
    if (i >= 8 && i < 12) continue; // report_size: checked against the variable data length (other test)
    const bad = hcl.slice();
    bad[i] = bad[i]! ^ 0x01;
    assert.throws(() => parseHclReport(bad), { code: 'HCL_REPORT_MALFORMED' }, `offset ${i}`);
  }
});
