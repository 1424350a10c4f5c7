import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { toHex } from '../../../src/common/bytes.js';
import { CloisterError } from '../../../src/common/errors.js';
import { parseSnpReport } from '../../../src/evidence/snp/index.js';
import { parseVekExtensions, sortSnpCerts, verifyHclReport, verifySnpChain, verifySnpReport } from '../../../src/verify/snp/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { caseCertBlobs, caseProduct, snpCases, snpCorpus } from '../../support/snp_vectors.js';
import { SKIP_NO_VECTORS, mutate, readVector, type VectorCase } from '../../support/vectors.js';

function verifyCase(c: VectorCase, now: Date, override?: { file: string; bytes: Uint8Array }) {
  const file = (role: string): Uint8Array => {
    const name = c.files[role]!.split(' ')[0]!;
    return override !== undefined && override.file === name ? override.bytes : readVector(c.id, name);
  };
  const certs = [file('vek'), file('cert_chain')];
  if (c.kind === 'chain-only') {
    const s = sortSnpCerts(certs);
    return verifySnpChain({ vek: s.veks[0]!.cert, vekRole: s.veks[0]!.role!, intermediates: s.intermediates, arks: s.arks }, { now });
  }
  return verifySnpReport(parseSnpReport(file('report')), certs, { now });
}

test('every SNP vector gives its expected result at verify_at', { skip: SKIP_NO_VECTORS }, () => {
  const cases = snpCases();
  assert.ok(cases.length >= 5);
  for (const c of cases) {
    const now = new Date(c.verify_at!);
    const out = verifyCase(c, now);
    if ('claims' in out) {
      assert.equal(c.expect['ok'], true, c.id);
      assert.equal(out.status, 'UpToDate');
      assert.equal(out.claims.product, caseProduct(c), c.id);
      const d = c.decoded as Record<string, unknown>;
      assert.equal(out.claims.measurement, d['measurement'], c.id);
      assert.equal(out.claims.chipId, d['chip_id'], c.id);
      assert.equal(out.claims.policy, d['policy_hex'], c.id);
      assert.equal(out.claims.debug, d['debug_allowed_by_policy'], c.id);
      assert.equal(out.claims.signingKey, d['signing_key'] === 1 ? 'vlek' : 'vcek', c.id);
      const { raw_u64: _raw, ...tcb } = d['reported_tcb'] as Record<string, unknown>;
      assert.deepEqual(out.claims.reportedTcb, tcb, c.id);
    } else {
      assert.equal(c.expect['chain_ok'], true, c.id);
      assert.equal(out.product, caseProduct(c));
    }
  }
});

test('the VEK extensions of every vector equal case.json `vek`', { skip: SKIP_NO_VECTORS }, () => {
  for (const c of snpCases()) {
    const vek = c['vek'] as { tcb_ext: Record<string, number>; hwid: string | null; product_name_ext: string };
    const s = sortSnpCerts(caseCertBlobs(c));
    const ext = parseVekExtensions(new Uint8Array(s.veks[0]!.cert.raw));
    assert.deepEqual(ext.tcb, vek.tcb_ext, c.id);
    assert.equal(ext.hwId === undefined ? null : toHex(ext.hwId), vek.hwid, c.id);
    assert.equal(ext.productName, vek.product_name_ext, c.id);
  }
});

test('every listed mutation is rejected with a typed error', { skip: SKIP_NO_VECTORS }, () => {
  let n = 0;
  for (const c of snpCases()) {
    for (const m of c.mutations ?? []) {
      const bytes = mutate(readVector(c.id, m.target), m);
      const codes = m.target.endsWith('.bin') ? ['REPORT_SIGNATURE_INVALID', 'REPORTED_TCB_MISMATCH'] : ['VEK_CHAIN_INVALID'];
      assertThrowsCode(() => verifyCase(c, new Date(c.verify_at!), { file: m.target, bytes }), codes, `${c.id} ${m.target}@${m.offset}`);
      n++;
    }
  }
  assert.ok(n >= 4);
});

test('not_after + 1 s fails with VEK_CERT_EXPIRED; not_before - 1 s too', { skip: SKIP_NO_VECTORS }, () => {
  for (const c of snpCases()) {
    const w = c.validity_window!;
    assertThrowsCode(() => verifyCase(c, new Date(Date.parse(w.not_after) + 1000)), 'VEK_CERT_EXPIRED', c.id);
    assertThrowsCode(() => verifyCase(c, new Date(Date.parse(w.not_before) - 1000)), 'VEK_CERT_EXPIRED', c.id);
    verifyCase(c, new Date(w.not_after));
  }
});

test('the Azure HCL report verifies with its runtime-data binding; tampered runtime data does not', { skip: SKIP_NO_VECTORS }, () => {
  const c = snpCases().find((x) => x.id === 'snp/azure-genoa-hcl')!;
  const now = new Date(c.verify_at!);
  const certs = caseCertBlobs(c);
  const hcl = readVector(c.id, 'hcl-report.bin');
  const out = verifyHclReport(hcl, certs, { now });
  assert.equal(out.claims.product, 'Genoa');
  // runtime data (0x4d4 .. 0x4d4+1200) is bound through the hash; every 7th byte keeps the test fast
  for (let i = 0x4d4; i < 0x4d4 + 1200; i += 7) {
    const b = hcl.slice();
    b[i] = b[i]! ^ 0x01;
    assertThrowsCode(() => verifyHclReport(b, certs, { now }), 'HCL_RUNTIME_DATA_MISMATCH', `offset ${i}`);
  }
});

test('ASK/ARK may be left out (filled from the pinned set) and come in any order', { skip: SKIP_NO_VECTORS }, () => {
  for (const c of snpCases().filter((x) => x.kind === 'full')) {
    const now = new Date(c.verify_at!);
    const report = parseSnpReport(readVector(c.id, c.files['report']!));
    const [vek, chain] = caseCertBlobs(c);
    verifySnpReport(report, [vek!], { now });
    verifySnpReport(report, [chain!, vek!], { now });
    const vekCert = new X509Certificate(Buffer.from(vek!));
    verifySnpReport(report, { vek: vekCert }, { now });
    assertThrowsCode(() => verifySnpReport(report, [chain!], { now }), 'VEK_MISSING', c.id);
  }
});

test('a VEK with another product line\'s ASK/ARK is rejected', { skip: SKIP_NO_VECTORS }, () => {
  const milan = snpCases().find((x) => x.id === 'snp/virtee-milan')!;
  const genoa = snpCases().find((x) => x.id === 'snp/azure-genoa-hcl')!;
  const report = parseSnpReport(readVector(milan.id, 'report.bin'));
  const genoaChain = readVector(genoa.id, 'ask_ark_genoa.pem');
  assertThrowsCode(() => verifySnpReport(report, [readVector(milan.id, 'vcek.der'), genoaChain], { now: new Date(milan.verify_at!) }), ['VEK_CHAIN_INVALID', 'ARK_NOT_TRUSTED']);
});

test('every corpus SNP case verifies or is rejected with a typed error', { skip: SKIP_NO_VECTORS }, () => {
  const items = snpCorpus();
  assert.ok(items.length >= 1);
  for (const item of items) {
    for (const [what, run] of [
      ['report', item.report === undefined ? undefined : () => verifySnpReport(parseSnpReport(item.report!), item.certs, { now: new Date('2025-07-01T00:00:00Z') })],
      ['hcl', item.hcl === undefined ? undefined : () => verifyHclReport(item.hcl!, item.certs, { now: new Date('2025-07-01T00:00:00Z') })],
    ] as const) {
      if (run === undefined) continue;
      try {
        const out = run();
        assert.equal(out.tee, 'snp', `${item.id} ${what}`);
      } catch (e) {
        assert.ok(e instanceof CloisterError, `${item.id} ${what}: ${String(e)}`);
      }
    }
  }
});
