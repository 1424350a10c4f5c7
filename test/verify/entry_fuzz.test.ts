import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { verifyEvidence, type VerificationResult, type VerifyEvidenceOptions } from '../../src/verify/index.js';
import { ENTRY_ERROR_CODES, caseCertFiles, caseEvidenceFile, readCaseFile, readCollateralText } from '../support/evidence_inputs.js';
import { SKIP_NO_VECTORS, listCases, vectorPath } from '../support/vectors.js';

/**
 * fast-check at the public entry point: random bytes and randomly edited real evidence (with
 * its collateral / certificates, also edited) resolve to ok or to a documented typed error;
 * the promise never rejects. Edits inside a signed region must always be rejected.
 */
function assertTyped(r: VerificationResult): void {
  if (r.ok) return;
  assert.notEqual(r.error.code, 'INTERNAL_ERROR', r.error.message);
  assert.ok(ENTRY_ERROR_CODES.has(r.error.code), `undocumented code ${r.error.code}`);
}

interface Seed {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly options: VerifyEvidenceOptions;
  /** [start, end) of the bytes a signature covers, in the evidence file */
  readonly signed: readonly [number, number];
}

function seed(id: string, signed: readonly [number, number]): Seed {
  const c = listCases().find((x) => x.id === id)!;
  const collateral = readCollateralText(vectorPath(id, '.'));
  return {
    id,
    bytes: readCaseFile(c, caseEvidenceFile(c)!),
    signed,
    options: {
      now: new Date(c.verify_at!),
      accept: 'any',
      allowDebug: true,
      ...(collateral === undefined ? {} : { collateral }),
      ...(c.tee === 'snp' ? { certs: caseCertFiles(c).map((f) => readCaseFile(c, f)) } : {}),
    },
  };
}

const seeds = SKIP_NO_VECTORS === false
  ? [
      seed('sgx/dcap-qvl-sample', [0, 48 + 384]), // header + enclave report body
      seed('tdx/dcap-qvl-sample-v4', [0, 48 + 584]), // header + TD report body
      seed('snp/virtee-milan', [0, 0x2a0]), // report bytes covered by the VCEK signature
      seed('snp/azure-genoa-hcl', [0x20, 0x20 + 0x2a0]), // the SNP report inside the HCL wrapper
    ]
  : [];

const edits = fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 });

function applyEdits(bytes: Uint8Array, es: ReadonlyArray<{ at: number; xor: number }>, range: readonly [number, number] = [0, bytes.length]): Uint8Array {
  const out = bytes.slice();
  for (const e of es) {
    const i = range[0] + (e.at % (range[1] - range[0]));
    out[i] = out[i]! ^ e.xor;
  }
  return out;
}

describe('verifyEvidence fuzzing', () => {
  it('random bytes (any length, any --tee) resolve to a typed rejection', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 6000 }), fc.constantFrom(undefined, 'sgx', 'tdx', 'snp'), async (bytes, tee) => {
        const r = await verifyEvidence(bytes, { now: new Date('2025-01-01T00:00:00Z'), ...(tee === undefined ? {} : { tee }) });
        assertTyped(r);
        assert.equal(r.ok, false);
      }),
      { numRuns: 300 },
    );
  });

  it('random bodies behind a real header / report prefix resolve to a typed rejection', { skip: SKIP_NO_VECTORS, timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), fc.nat({ max: 1200 }), fc.uint8Array({ maxLength: 6000 }), async (s, keep, tail) => {
        const bytes = new Uint8Array([...s.bytes.subarray(0, Math.min(keep, s.bytes.length)), ...tail]);
        const r = await verifyEvidence(bytes, s.options);
        assertTyped(r);
      }),
      { numRuns: 200 },
    );
  });

  it('edited real evidence anywhere resolves typed; edits in a signed region are always rejected', { skip: SKIP_NO_VECTORS, timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), edits, fc.boolean(), async (s, es, inSigned) => {
        const bytes = inSigned ? applyEdits(s.bytes, es, s.signed) : applyEdits(s.bytes, es);
        const r = await verifyEvidence(bytes, s.options);
        assertTyped(r);
        if (inSigned) assert.equal(r.ok, false, `${s.id}: an edit of the signed region was accepted`);
      }),
      { numRuns: 300 },
    );
  });

  it('truncated and extended real evidence is rejected with a typed error', { skip: SKIP_NO_VECTORS, timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean(), async (s, cut, extra, extend) => {
        const bytes = extend
          ? new Uint8Array([...s.bytes, ...(extra.every((b) => b === 0) ? [1, ...extra] : extra)]) // non-zero trailing data
          : s.bytes.subarray(0, cut % s.bytes.length);
        const r = await verifyEvidence(bytes, s.options);
        assertTyped(r);
        // Cutting only unsigned zero padding (TDX quotes, the HCL wrapper's tail) changes nothing.
        const onlyPaddingCut = !extend && s.bytes.subarray(bytes.length).every((b) => b === 0);
        if (!onlyPaddingCut) assert.equal(r.ok, false, `${s.id}: ${extend ? 'extended' : 'truncated'} evidence accepted`);
      }),
      { numRuns: 200 },
    );
  });

  it('edited collateral text and certificates resolve to ok or a typed error', { skip: SKIP_NO_VECTORS, timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), edits, fc.nat(), async (s, es, which) => {
        let options: VerifyEvidenceOptions = s.options;
        if (typeof s.options.collateral === 'string') {
          const text = Buffer.from(applyEdits(new Uint8Array(Buffer.from(s.options.collateral)), es)).toString('latin1');
          options = { ...s.options, collateral: text };
        } else if (s.options.certs !== undefined) {
          const certs = s.options.certs.map((c, i) => (i === which % s.options.certs!.length ? applyEdits(c, es) : c));
          options = { ...s.options, certs };
        }
        assertTyped(await verifyEvidence(s.bytes, options));
      }),
      { numRuns: 200 },
    );
  });
});
