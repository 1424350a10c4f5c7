import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDcapQuote } from '../../src/evidence/dcap/index.js';
import { EVIDENCE_CODES } from '../../src/evidence/errors.js';
import { DEFAULT_ACCEPTED_STATUSES, verifyEvidence, type VerificationResult, type VerifyEvidenceOptions } from '../../src/verify/index.js';
import { sortSnpCerts, verifySnpChain } from '../../src/verify/snp/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import {
  ENTRY_ERROR_CODES, caseCertFiles, caseEvidenceFile, caseNeedsMissingCrl, readCaseFile, readCollateralText,
} from '../support/evidence_inputs.js';
import { SKIP_NO_VECTORS, flip, listCases, mutate, vectorPath, type VectorCase } from '../support/vectors.js';

/**
 * Every case of ../shared/vectors through the public entry point `verifyEvidence`, at its
 * `verify_at`: ok, status, advisory IDs (as a set), error codes, the case's relaxations, and
 * every listed mutation. The table dispatches on `kind`; a case no branch handles fails.
 */
const cases = listCases();

type Mutation = { target?: string; offset: number; op: 'set' | 'xor' | 'add'; value: number; expect_error: string; class?: string };

/** Codes a mutation may produce, from its upstream class or description (never the message text of ours). */
function mutationCodes(m: Mutation): readonly string[] | 'parse' {
  if (m.class === 'parse') return 'parse';
  if (m.class === 'quote-signature') return ['QUOTE_SIGNATURE_INVALID'];
  if (m.class !== undefined) return ['PCK_CHAIN_INVALID']; // pck-chain-parse, root/intermediate/pck-signature
  if (/VCEK signature \(chain\)/.test(m.expect_error)) return ['VEK_CHAIN_INVALID'];
  if (/reported TCB/.test(m.expect_error)) return ['REPORT_SIGNATURE_INVALID', 'REPORTED_TCB_MISMATCH'];
  if (/report signature/.test(m.expect_error)) return ['REPORT_SIGNATURE_INVALID'];
  throw new Error(`unmapped mutation ${JSON.stringify(m)}`);
}

interface CaseInput {
  readonly bytes: Uint8Array;
  /** options with the case's relaxations, and policy opened up: the case's `ok` is about authenticity */
  readonly options: VerifyEvidenceOptions;
}

function inputOf(c: VectorCase, now: Date, edit?: { file: string; bytes: Uint8Array }): CaseInput {
  const evidenceFile = caseEvidenceFile(c)!;
  const read = (f: string): Uint8Array => (edit !== undefined && edit.file === f ? edit.bytes : readCaseFile(c, f));
  const collateral = readCollateralText(vectorPath(c.id, '.'));
  return {
    bytes: read(evidenceFile),
    options: {
      now,
      accept: 'any',
      allowDebug: true,
      allowMissingCrl: caseNeedsMissingCrl(c),
      ...(collateral === undefined ? {} : { collateral }),
      ...(c.tee === 'snp' ? { certs: caseCertFiles(c).map(read) } : {}),
    },
  };
}

function rejectedWith(r: VerificationResult, codes: readonly string[], context: string): void {
  assert.equal(r.ok, false, `${context}: expected a rejection, got ok`);
  if (r.ok) return;
  assert.ok(codes.includes(r.error.code), `${context}: want ${codes.join('|')}, got ${r.error.code}: ${r.error.message}`);
}

function assertTyped(r: VerificationResult, context: string): void {
  if (r.ok) return;
  assert.ok(ENTRY_ERROR_CODES.has(r.error.code), `${context}: ${r.error.code} is not a documented code (${r.error.message})`);
}

function expectClaims(c: VectorCase, r: VerificationResult): void {
  assert.ok(r.claims !== undefined, `${c.id}: claims missing`);
  const claims = r.claims as unknown as Record<string, unknown>;
  const e = c.expect;
  const hex = (v: unknown) => String(v).toLowerCase();
  const pairs: Array<[string, string]> = [
    ['mr_enclave', 'mrenclave'], ['mr_td', 'mrtd'], ['report_data', 'reportData'], ['fmspc', 'fmspc'], ['tee_tcb_svn', 'teeTcbSvn'],
    ['measurement', 'measurement'], ['host_data', 'hostData'], ['chip_id', 'chipId'], ['family_id', 'familyId'], ['image_id', 'imageId'],
  ];
  for (const [want, got] of pairs) if (e[want] !== undefined) assert.equal(claims[got], hex(e[want]), `${c.id}: claim ${got}`);
  if (e['reported_tcb'] !== undefined) assert.deepEqual({ ...(claims['reportedTcb'] as object) }, e['reported_tcb'], `${c.id}: reportedTcb`);
  if (typeof e['policy'] === 'number') assert.equal(BigInt(claims['policy'] as string), BigInt(e['policy']), `${c.id}: policy`);
  if (e['signing_key'] !== undefined) assert.equal(claims['signingKey'], e['signing_key'] === 1 ? 'vlek' : 'vcek');
  if (e['product'] !== undefined) assert.equal(claims['product'], e['product']);
}

/** Full cases: the expected outcome, the default policy, the relaxations, expiry, mutations. */
async function checkFull(c: VectorCase): Promise<void> {
  const now = new Date(c.verify_at!);
  const input = inputOf(c, now);
  const r = await verifyEvidence(input.bytes, input.options);
  assertTyped(r, c.id);
  assert.equal(r.tee, c.tee);
  if (c.expect['ok'] === true) {
    assert.ok(r.ok, `${c.id}: ${r.ok ? '' : `${r.error.code}: ${r.error.message}`}`);
    const wantStatus = (c.expect['tcb_status'] as string | undefined) ?? 'UpToDate';
    assert.equal(r.status, wantStatus);
    if (Array.isArray(c.expect['advisories'])) assert.deepEqual(new Set(r.advisoryIds), new Set(c.expect['advisories'] as string[]));
    expectClaims(c, r);
    // The default policy: accepted statuses and no debug, else ok false with the status present.
    const strict = await verifyEvidence(input.bytes, { ...input.options, accept: undefined, allowDebug: false });
    const acceptedByDefault = DEFAULT_ACCEPTED_STATUSES.includes(r.status) && !r.claims.debug;
    assert.equal(strict.ok, acceptedByDefault, `${c.id}: default policy`);
    if (!strict.ok) {
      assert.equal(strict.status, r.status);
      assert.ok(['TCB_STATUS_NOT_ACCEPTED', 'DEBUG_NOT_ALLOWED'].includes(strict.error.code), strict.error.code);
    }
  } else {
    assert.equal(r.ok, false, `${c.id}: expected a rejection`);
    if (!r.ok && typeof c.expect['error_code_hint'] === 'string') assert.equal(r.error.code, c.expect['error_code_hint'], r.error.message);
    assert.equal(r.status, undefined, `${c.id}: a verification failure carries no status`);
  }
  if (caseNeedsMissingCrl(c)) {
    rejectedWith(await verifyEvidence(input.bytes, { ...input.options, allowMissingCrl: false }), ['CRL_MISSING'], `${c.id} without allowMissingCrl`);
    if (r.ok) assert.ok(r.warnings.some((w) => /CRL/.test(w)), `${c.id}: the missing-CRL relaxation must leave a warning`);
  }
  if (c.validity_window !== undefined) {
    const after = new Date(Date.parse(c.validity_window.not_after) + 1000);
    const late = await verifyEvidence(input.bytes, { ...input.options, now: after });
    assert.equal(late.ok, false, `${c.id}: accepted after its validity window`);
    if (!late.ok) assert.match(late.error.code, /EXPIRED/, `${c.id} at not_after + 1 s: ${late.error.message}`);
  }
  for (const m of (c.mutations ?? []) as readonly Mutation[]) {
    const file = m.target ?? caseEvidenceFile(c)!;
    const mutated = inputOf(c, now, { file, bytes: mutate(readCaseFile(c, file), m) });
    const res = await verifyEvidence(mutated.bytes, mutated.options);
    assertTyped(res, `${c.id} ${file}@${m.offset}`);
    assert.equal(res.ok, false, `${c.id}: mutation ${file}@${m.offset} accepted`);
  }
}

describe('verifyEvidence over every shared vector', { skip: SKIP_NO_VECTORS }, () => {
  it('the vectors are present and every kind is handled', () => {
    assert.ok(cases.length >= 15, `only ${cases.length} cases`);
    for (const c of cases) assert.ok(['full', 'parse-only', 'chain-only'].includes(c.kind), `${c.id}: unknown kind ${c.kind}`);
  });

  for (const c of cases.filter((x) => x.kind === 'full' && x.id !== 'tdx/go-tdx-guest-spr-v4')) {
    it(`${c.id} (full)`, () => checkFull(c));
  }

  for (const c of cases.filter((x) => x.kind === 'parse-only')) {
    it(`${c.id} (parse-only): detected, and verification without collateral is COLLATERAL_MISSING`, async () => {
      const bytes = readCaseFile(c, caseEvidenceFile(c)!);
      const r = await verifyEvidence(bytes, { now: new Date('2025-01-01T00:00:00Z') });
      assert.equal(r.tee, c.tee);
      rejectedWith(r, ['COLLATERAL_MISSING'], c.id);
    });
  }

  it('sgx/oasis-eppid-parse-only: with collateral, verification fails with PCK_CHAIN_MISSING (cert data type 3)', async () => {
    const collateral = readCollateralText(vectorPath('sgx/dcap-qvl-sample', '.'))!;
    const bytes = readFileSync(vectorPath('sgx/oasis-eppid-parse-only', 'quote.bin'));
    const r = await verifyEvidence(new Uint8Array(bytes), { collateral, now: new Date('2025-07-19T10:01:17Z'), accept: 'any' });
    rejectedWith(r, ['PCK_CHAIN_MISSING'], 'eppid');
  });

  // The notes of these parse-only cases record what the reference check gave against another case's collateral.
  const crossChecks = [
    { id: 'tdx/dcap-qvl-tdx-quote-hex-parse-only', collateralOf: 'tdx/dcap-qvl-sample-v4', at: '2025-07-19T10:00:34Z' },
    { id: 'tdx/trustee-quote5-v5-parse-only', collateralOf: 'tdx/dcap-qvl-outdated-v5', at: '2026-03-20T10:41:14Z' },
  ];
  for (const x of crossChecks) {
    it(`${x.id} against ${x.collateralOf} collateral: TCB_LEVEL_NOT_FOUND as its notes record`, async () => {
      const collateral = readCollateralText(vectorPath(x.collateralOf, '.'))!;
      const r = await verifyEvidence(new Uint8Array(readFileSync(vectorPath(x.id, 'quote.bin'))), { collateral, now: new Date(x.at), accept: 'any' });
      rejectedWith(r, ['TCB_LEVEL_NOT_FOUND'], x.id);
    });
  }

  describe('tdx/go-tdx-guest-spr-v4 (39 non-zero trailing bytes)', () => {
    const c = cases.find((x) => x.id === 'tdx/go-tdx-guest-spr-v4');
    const now = new Date(c?.verify_at ?? 0);
    const raw = c === undefined ? new Uint8Array() : readCaseFile(c, 'quote.bin');
    const collateral = c === undefined ? '' : readCollateralText(vectorPath(c.id, '.'))!;
    const parsedLength = (): number => {
      const q = parseDcapQuote(raw, { allowTrailingData: true });
      return raw.length - (q.trailingData?.length ?? 0);
    };

    it('the whole file is rejected with QUOTE_TRAILING_DATA (CLI contract: only zero padding is tolerated)', async () => {
      rejectedWith(await verifyEvidence(raw, { collateral, now, accept: 'any' }), ['QUOTE_TRAILING_DATA'], c!.id);
    });
    it('the quote trimmed to its parsed length gives the case expectation, TCB_LEVEL_NOT_FOUND', async () => {
      const n = parsedLength();
      assert.equal(raw.length - n, c!.decoded!['trailing_bytes_after_signature_data']);
      const r = await verifyEvidence(raw.subarray(0, n), { collateral, now, accept: 'any' });
      rejectedWith(r, [c!.expect['error_code_hint'] as string], c!.id);
      // zero padding in place of the note is tolerated: the same expectation
      const padded = new Uint8Array(raw.length);
      padded.set(raw.subarray(0, n));
      rejectedWith(await verifyEvidence(padded, { collateral, now, accept: 'any' }), ['TCB_LEVEL_NOT_FOUND'], 'zero padded');
    });
    it('every upstream mutation of the trimmed quote is rejected before TCB evaluation', async () => {
      const trimmed = raw.subarray(0, parsedLength());
      const muts = c!.mutations as readonly Mutation[];
      assert.ok(muts.length >= 8);
      for (const m of muts) {
        const want = mutationCodes(m);
        const r = await verifyEvidence(mutate(trimmed, m), { collateral, now, accept: 'any' });
        assertTyped(r, `offset ${m.offset}`);
        if (want === 'parse') rejectedWith(r, Object.keys(EVIDENCE_CODES), `offset ${m.offset} (parse)`);
        else rejectedWith(r, want, `offset ${m.offset} (${m.class})`);
        // and the raw file with the same edit is rejected too
        assert.equal((await verifyEvidence(mutate(raw, m), { collateral, now, accept: 'any' })).ok, false);
      }
    });
  });

  it('SNP mutations give the codes their upstream descriptions name', async () => {
    for (const c of cases.filter((x) => x.tee === 'snp' && x.mutations !== undefined)) {
      for (const m of c.mutations as readonly Mutation[]) {
        const file = m.target ?? caseEvidenceFile(c)!;
        const input = inputOf(c, new Date(c.verify_at!), { file, bytes: mutate(readCaseFile(c, file), m) });
        rejectedWith(await verifyEvidence(input.bytes, input.options), mutationCodes(m) as readonly string[], `${c.id} ${file}@${m.offset}`);
      }
    }
  });

  it('SNP certificates are accepted in any order', async () => {
    for (const c of cases.filter((x) => x.tee === 'snp' && x.kind === 'full')) {
      const input = inputOf(c, new Date(c.verify_at!));
      const reversed = await verifyEvidence(input.bytes, { ...input.options, certs: [...input.options.certs!].reverse() });
      assert.ok(reversed.ok, `${c.id}: ${reversed.ok ? '' : reversed.error.code}`);
    }
  });

  describe('snp/virtee-turin-vcek-chain-only (no report: the chain through the SNP API)', () => {
    const c = cases.find((x) => x.id === 'snp/virtee-turin-vcek-chain-only');
    const certs = (edit?: (vek: Uint8Array) => Uint8Array) => {
      const [vek, chain] = caseCertFiles(c!).map((f) => readCaseFile(c!, f));
      const sorted = sortSnpCerts([edit === undefined ? vek! : edit(vek!), chain!]);
      const v = sorted.veks[0]!;
      return { vek: v.cert, vekRole: v.role ?? ('vcek' as const), intermediates: sorted.intermediates, arks: sorted.arks, crl: sorted.crl };
    };
    it('verifies to the pinned Turin ARK at verify_at, with the Turin FMC TCB field', () => {
      assert.equal(c!.kind, 'chain-only');
      const chain = verifySnpChain(certs(), { now: new Date(c!.verify_at!) });
      assert.equal(chain.product, 'Turin');
      assert.equal(chain.vekRole, 'vcek');
      assert.equal(typeof chain.extensions.tcb.fmc, 'number');
      assert.equal(chain.extensions.hwId?.length, 8, 'Turin hwID is 8 bytes');
    });
    it('is rejected before the VCEK notBefore, and with a flipped signature byte', () => {
      const vek = certs().vek;
      assertThrowsCode(() => verifySnpChain(certs(), { now: new Date(Date.parse(vek.validFrom) - 1000) }), ['VEK_CERT_EXPIRED', 'VEK_CERT_NOT_YET_VALID', 'CERT_EXPIRED']);
      assertThrowsCode(() => verifySnpChain(certs((b) => flip(b, b.length - 10)), { now: new Date(c!.verify_at!) }), ['VEK_CHAIN_INVALID']);
    });
  });
});
