import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyEvidence, type VerificationResult, type VerifyEvidenceOptions } from '../../src/verify/index.js';
import { ENTRY_ERROR_CODES, corpusInputs } from '../support/evidence_inputs.js';
import { SKIP_NO_CORPUS } from '../support/vectors.js';

/**
 * Every evidence file of ../shared/corpus (no expected results) through `verifyEvidence`,
 * with the collateral or certificates beside it, at instants inside and outside their windows,
 * strict and relaxed: each outcome is ok or a documented typed code, never INTERNAL_ERROR,
 * a rejection of the promise or a hang (the per-test timeout).
 */
const inputs = corpusInputs();

function assertHandled(r: VerificationResult, context: string): void {
  assert.equal(typeof r.ok, 'boolean', context);
  if (r.ok) {
    assert.ok(r.tee === 'sgx' || r.tee === 'tdx' || r.tee === 'snp', context);
    assert.equal(typeof r.status, 'string', context);
    return;
  }
  assert.notEqual(r.error.code, 'INTERNAL_ERROR', `${context}: ${r.error.message}`);
  assert.ok(ENTRY_ERROR_CODES.has(r.error.code), `${context}: undocumented code ${r.error.code}`);
  assert.ok(r.error.message.length > 0, context);
}

describe('verifyEvidence over every corpus file', { skip: SKIP_NO_CORPUS }, () => {
  it('the corpus is present and every folder holds evidence', () => {
    assert.ok(inputs.length >= 7, `only ${inputs.length} corpus folders`);
    for (const i of inputs) assert.ok(i.evidence.length > 0, `${i.id}: no evidence file`);
  });

  for (const item of inputs) {
    it(item.id, { timeout: 30_000 }, async () => {
      const relaxations: VerifyEvidenceOptions[] = [{}, { allowMissingCrl: true, allowDebug: true, accept: 'any' }];
      let verifiedOnce = false;
      for (const { file, bytes } of item.evidence) {
        for (const now of item.times) {
          for (const relax of relaxations) {
            const r = await verifyEvidence(bytes, {
              now,
              ...(item.collateral === undefined ? {} : { collateral: item.collateral }),
              certs: item.certs,
              ...relax,
            });
            assertHandled(r, `${item.id}/${file} at ${now.toISOString()}`);
            if (r.ok) {
              verifiedOnce = true;
              assert.equal(r.tee, item.tee);
            }
          }
        }
        // no collateral / no certificates: a typed rejection naming what is missing
        const bare = await verifyEvidence(bytes, { now: item.times[0]! });
        assertHandled(bare, `${item.id}/${file} bare`);
        assert.equal(bare.ok, false, `${item.id}/${file} verified without collateral or certificates`);
      }
      // Not every corpus item can verify (expired CRLs in the source), so this is informational
      // except for folders known to verify at a time inside their windows.
      if (['tdx/trustee-quote4-debug-td', 'tdx/dcap-qvl-near-gas-test', 'snp/azure-milan-hcl', 'snp/trustee-milan-vcek'].includes(item.id)) {
        assert.ok(verifiedOnce, `${item.id} never verified`);
      }
    });
  }
});
