import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVerifier, type VerificationResult } from '../../src/verify/index.js';
import { caseCertFiles, caseEvidenceFile, readCaseFile, readCollateralText } from '../support/evidence_inputs.js';
import { SKIP_NO_VECTORS, flip, listCases, vectorPath } from '../support/vectors.js';

/**
 * A reused `createVerifier` caches prepared collateral and verified chains; what depends on
 * `now` or on the per-quote bytes must still be checked on every call.
 */
const code = (r: VerificationResult) => (r.ok ? 'ok' : r.error.code);

describe('createVerifier caches never skip per-call checks', { skip: SKIP_NO_VECTORS }, () => {
  for (const id of ['snp/virtee-milan', 'snp/azure-genoa-hcl', 'tdx/dcap-qvl-sample-v4', 'sgx/dcap-qvl-sample']) {
    it(id, () => {
      const c = listCases().find((x) => x.id === id)!;
      const v = createVerifier();
      const bytes = readCaseFile(c, caseEvidenceFile(c)!);
      const collateral = readCollateralText(vectorPath(id, '.'));
      const base = {
        now: new Date(c.verify_at!),
        accept: 'any' as const,
        ...(collateral === undefined ? {} : { collateral }),
        ...(c.tee === 'snp' ? { certs: caseCertFiles(c).map((f) => readCaseFile(c, f)) } : {}),
      };
      assert.equal(code(v.verifySync(bytes, base)), 'ok');
      assert.equal(code(v.verifySync(bytes, base)), 'ok', 'second call (cached)');
      // after the window, with everything cached
      assert.match(code(v.verifySync(bytes, { ...base, now: new Date('2099-01-01T00:00:00Z') })), /EXPIRED/);
      assert.match(code(v.verifySync(bytes, { ...base, now: new Date('2000-01-01T00:00:00Z') })), /EXPIRED|NOT_YET/);
      // a flipped byte in the signed region of the same quote/report, chain cached
      const at = c.tee === 'snp' ? (id.endsWith('hcl') ? 0x20 + 0x50 : 0x50) : 200;
      assert.match(code(v.verifySync(flip(bytes, at), base)), /SIGNATURE_INVALID|MISMATCH/);
      assert.equal(code(v.verifySync(bytes, base)), 'ok', 'still ok afterwards');
    });
  }
});
