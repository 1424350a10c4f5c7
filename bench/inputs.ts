import { readFileSync } from 'node:fs';
import { caseCertFiles, readCaseFile, readCollateralText } from '../test/support/evidence_inputs.js';
import { HAVE_VECTORS, VECTORS_DIR, listCases, vectorPath } from '../test/support/vectors.js';

/** The benchmark inputs: one real SGX, TDX and SNP case of ../shared/vectors, at its verify_at. */
export interface BenchCase {
  readonly id: string;
  readonly tee: 'sgx' | 'tdx' | 'snp';
  readonly evidence: Uint8Array;
  /** DCAP: the collateral bundle JSON text */
  readonly collateral?: string;
  /** SNP: VCEK + ASK/ARK files as given */
  readonly certs?: readonly Uint8Array[];
  readonly now: Date;
  /** the status the case expects (checked before timing) */
  readonly status: string;
}

export const BENCH_CASES = ['sgx/dcap-qvl-sample', 'tdx/dcap-qvl-sample-v4', 'snp/go-sev-guest-milan'] as const;

export function loadBenchCases(): BenchCase[] {
  if (!HAVE_VECTORS) throw new Error(`the benchmark needs the shared vectors at ${VECTORS_DIR} (set CLOISTER_SHARED)`);
  const all = listCases();
  return BENCH_CASES.map((id) => {
    const c = all.find((x) => x.id === id);
    if (c === undefined) throw new Error(`vector ${id} not found`);
    const base = { id, tee: c.tee, now: new Date(c.verify_at!), status: (c.expect['tcb_status'] as string | undefined) ?? 'UpToDate' };
    if (c.tee === 'snp') return { ...base, evidence: readCaseFile(c, c.files['report']!), certs: caseCertFiles(c).map((f) => readCaseFile(c, f)) };
    return { ...base, evidence: new Uint8Array(readFileSync(vectorPath(id, c.files['quote']!))), collateral: readCollateralText(vectorPath(id, '.'))! };
  });
}
