import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CloisterError } from '../../../src/common/errors.js';
import { parseDcapQuote } from '../../../src/evidence/dcap/index.js';
import { VerifyError } from '../../../src/verify/errors.js';
import { parseCollateralBundle, prepareCollateral, verifyDcapQuote, createDcapVerifier } from '../../../src/verify/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { listCorpus, mutate, readVectorText, SKIP_NO_CORPUS, SKIP_NO_VECTORS } from '../../support/vectors.js';
import { collateralFile, dcapFullCases, EXPIRY_CODES, loadCase } from './helpers.js';

describe('DCAP vectors (kind full)', { skip: SKIP_NO_VECTORS }, () => {
  const cases = dcapFullCases();
  it('has SGX and TDX full cases', () => {
    assert.ok(cases.some((c) => c.tee === 'sgx'));
    assert.ok(cases.some((c) => c.tee === 'tdx'));
  });

  for (const c of cases) {
    describe(c.id, () => {
      const l = loadCase(c);
      const expect = c.expect as { ok: boolean; tcb_status?: string; advisories?: string[]; error_code_hint?: string };

      it(`verifies at verify_at as expected (ok=${expect.ok})`, () => {
        const run = () => verifyDcapQuote(l.quote, l.bundle, { now: l.now, requireCrls: l.requireCrls });
        if (expect.ok) {
          const r = run();
          assert.equal(r.tee, c.tee);
          assert.equal(r.status, expect.tcb_status);
          assert.deepEqual(new Set(r.advisoryIds), new Set(expect.advisories ?? []));
          if (!l.requireCrls) assert.ok(r.warnings.some((w) => w.startsWith('CRL check skipped')));
          const decoded = c.decoded as { report_data?: string; mr_enclave?: string; mr_td?: string; pck?: { fmspc: string } } | undefined;
          if (decoded?.report_data !== undefined) assert.equal(r.claims.reportData, decoded.report_data);
          if (decoded?.pck !== undefined && r.tee !== 'snp') assert.equal(r.claims.fmspc, decoded.pck.fmspc.toLowerCase());
          if (r.tee === 'sgx' && decoded?.mr_enclave !== undefined) assert.equal(r.claims.mrenclave, decoded.mr_enclave);
          if (r.tee === 'tdx' && decoded?.mr_td !== undefined) assert.equal(r.claims.mrtd, decoded.mr_td);
        } else {
          assertThrowsCode(run, expect.error_code_hint!, c.id);
        }
      });

      if (!l.requireCrls) {
        it('needs requireCrls: false (CRLs are missing)', () => {
          assertThrowsCode(() => verifyDcapQuote(l.quote, l.bundle, { now: l.now, requireCrls: true }), 'CRL_MISSING');
        });
      }

      it('fails with an expiry code at validity_window.not_after + 1 s', () => {
        const after = new Date(new Date(c.validity_window!.not_after).getTime() + 1000);
        assertThrowsCode(() => verifyDcapQuote(l.quote, l.bundle, { now: after, requireCrls: l.requireCrls }), EXPIRY_CODES);
      });

      it('gives the same result through a caching verifier with prepared collateral, twice', () => {
        const v = createDcapVerifier();
        const p = prepareCollateral(l.bundle);
        for (let i = 0; i < 2; i++) {
          if (expect.ok) assert.equal(v.verify(l.quote, p, { now: l.now, requireCrls: l.requireCrls }).status, expect.tcb_status);
          else assertThrowsCode(() => v.verify(l.quote, p, { now: l.now, requireCrls: l.requireCrls }), expect.error_code_hint!);
        }
      });
    });
  }
});

describe('sgx/oasis-pck-chain time checks and tampering', { skip: SKIP_NO_VECTORS }, () => {
  const c = dcapFullCases().find((x) => x.id === 'sgx/oasis-pck-chain');
  const l = c === undefined ? undefined : loadCase(c);
  // Map the source's failure descriptions to our codes. At 2022-12-16 the TCB info (issued
  // 2022-12-19) is not yet valid either, and we check it before the QE identity.
  const timeCodes: Record<string, readonly string[]> = {
    '2029-12-05T11:12:02Z': ['PCK_CERT_EXPIRED'],
    '2022-12-05T11:12:00Z': ['PCK_CERT_EXPIRED'],
    '2022-12-16T12:45:35Z': ['QE_IDENTITY_EXPIRED', 'TCB_INFO_EXPIRED'],
    '2023-01-15T12:45:37Z': ['QE_IDENTITY_EXPIRED'],
  };
  it('time_checks fail with the right codes', () => {
    const checks = (l!.c.expect as Record<string, Record<string, string>>)['time_checks (verify at this time -> expected failure)']!;
    assert.equal(Object.keys(checks).length, 4);
    for (const at of Object.keys(checks)) {
      assertThrowsCode(() => verifyDcapQuote(l!.quote, l!.bundle, { now: new Date(at), requireCrls: false }), timeCodes[at]!, at);
    }
  });
  it('a bad TCB info issuer chain is rejected', () => {
    const bad = readVectorText('sgx/oasis-pck-chain', 'tcb_info_issuer_chain_bad.pem');
    assertThrowsCode(() => prepareCollateral({ ...l!.bundle, tcb_info_issuer_chain: bad }), 'TCB_INFO_SIGNATURE_INVALID');
  });
  it('byte edits of the signed JSON texts are rejected', () => {
    const edit = (s: string, i: number) => s.slice(0, i) + 'x' + s.slice(i + 1);
    assertThrowsCode(() => prepareCollateral({ ...l!.bundle, tcb_info: edit(l!.bundle.tcb_info, 16) }), 'TCB_INFO_SIGNATURE_INVALID');
    assertThrowsCode(() => prepareCollateral({ ...l!.bundle, qe_identity: edit(l!.bundle.qe_identity, 22) }), 'QE_IDENTITY_SIGNATURE_INVALID');
  });
});

describe('tdx/go-tdx-guest-spr-v4 upstream mutations', { skip: SKIP_NO_VECTORS }, () => {
  const c = dcapFullCases().find((x) => x.id === 'tdx/go-tdx-guest-spr-v4');
  const codeByClass: Record<string, readonly string[] | 'parse'> = {
    parse: 'parse',
    'pck-chain-parse': ['PCK_CHAIN_INVALID'],
    'root-signature': ['PCK_CHAIN_INVALID'],
    'intermediate-signature': ['PCK_CHAIN_INVALID'],
    'pck-signature': ['PCK_CHAIN_INVALID'],
    'quote-signature': ['QUOTE_SIGNATURE_INVALID'],
  };
  it('every mutation fails before TCB evaluation with the matching code', () => {
    const l = loadCase(c!);
    const muts = c!.mutations as unknown as Array<{ offset: number; op: 'set' | 'xor' | 'add'; value: number; class: string }>;
    assert.ok(muts.length > 0);
    for (const m of muts) {
      const want = codeByClass[m.class];
      assert.ok(want !== undefined, `unmapped class ${m.class}`);
      const bytes = mutate(l.quoteBytes, m);
      try {
        verifyDcapQuote(parseDcapQuote(bytes, { allowTrailingData: true }), l.bundle, { now: l.now, requireCrls: true });
        assert.fail(`mutation at ${m.offset} was accepted`);
      } catch (e) {
        assert.ok(e instanceof CloisterError, String(e));
        if (want === 'parse') assert.ok(!(e instanceof VerifyError), `${m.offset}: want a parse error, got ${e.code}`);
        else assert.ok(want.includes(e.code), `${m.offset} (${m.class}): got ${e.code}: ${e.message}`);
      }
    }
  });
});

describe('DCAP corpus: verifies or throws a typed error', { skip: SKIP_NO_CORPUS }, () => {
  for (const item of listCorpus().filter((x) => x.tee === 'sgx' || x.tee === 'tdx')) {
    it(item.id, () => {
      const bundleText = readFileSync(collateralFile(item.dir), 'utf8');
      // No expected time: verify one hour into the TCB info window.
      const issue = new Date((JSON.parse((JSON.parse(bundleText) as { tcb_info: string }).tcb_info) as { issueDate: string }).issueDate);
      const now = new Date(issue.getTime() + 3600_000);
      for (const requireCrls of [true, false]) {
        try {
          const quote = parseDcapQuote(new Uint8Array(readFileSync(`${item.dir}/quote.bin`)), { allowTrailingData: true });
          const r = verifyDcapQuote(quote, parseCollateralBundle(bundleText), { now, requireCrls });
          assert.ok(r.tee === 'sgx' || r.tee === 'tdx');
        } catch (e) {
          assert.ok(e instanceof CloisterError, `${item.id}: untyped error ${String(e)}`);
        }
      }
    });
  }
});
