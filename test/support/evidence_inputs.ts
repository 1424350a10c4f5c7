import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { EVIDENCE_CODES } from '../../src/evidence/errors.js';
import { POLICY_CODES, VERIFY_CODES } from '../../src/verify/errors.js';
import { listCorpus, vectorPath, type VectorCase } from './vectors.js';

/**
 * Inputs for the public entry point (`verifyEvidence`) built from the shared vectors and
 * corpus, read in place. Shared by test/verify/entry*.test.ts, test/cli/ and bench/.
 */

/** Every code `verifyEvidence` may put in `error.code` (a code outside these tables is a bug). */
export const ENTRY_ERROR_CODES: ReadonlySet<string> = new Set([...Object.keys(EVIDENCE_CODES), ...Object.keys(VERIFY_CODES), ...Object.keys(POLICY_CODES)]);

/** The collateral bundle file of a folder: dcap-qvl's `collateral.json`, else our normalized assembly. */
export function collateralFileIn(dir: string): string | undefined {
  for (const f of ['collateral.json', 'collateral.normalized.json']) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

export function readCollateralText(dir: string): string | undefined {
  const f = collateralFileIn(dir);
  return f === undefined ? undefined : readFileSync(f, 'utf8');
}

/** The evidence file of a vector case (SNP HCL cases verify the wrapper, not the extracted report). */
export function caseEvidenceFile(c: VectorCase): string | undefined {
  return c.files['hcl_report'] ?? c.files['quote'] ?? c.files['report'];
}

/** The SNP certificate files of a case: VEK first, then the chain file(s) named in `cert_chain`. */
export function caseCertFiles(c: VectorCase): string[] {
  const out: string[] = [];
  if (c.files['vek'] !== undefined) out.push(c.files['vek']);
  if (c.files['cert_chain'] !== undefined) out.push(c.files['cert_chain'].split(' ')[0]!);
  return out;
}

export function readCaseFile(c: VectorCase, file: string): Uint8Array {
  return new Uint8Array(readFileSync(vectorPath(c.id, file)));
}

/** A case needs `allowMissingCrl` when its `requires` names a disabled CRL check. */
export function caseNeedsMissingCrl(c: VectorCase): boolean {
  const r = c.expect['requires'];
  return typeof r === 'string' && /CRL/i.test(r);
}

export interface CorpusInput {
  readonly id: string;
  readonly tee: string;
  readonly dir: string;
  /** evidence files present (quote.bin, report.bin, hcl-report.bin) with their bytes */
  readonly evidence: ReadonlyArray<{ file: string; bytes: Uint8Array }>;
  readonly collateral: string | undefined;
  readonly certs: readonly Uint8Array[];
  /** instants worth verifying at: inside the collateral / certificate windows, plus fixed ones */
  readonly times: readonly Date[];
}

const FIXED_TIMES = [new Date('2024-06-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z')];

/** An instant inside the signed JSON windows: an hour after the later issueDate. */
function collateralTime(text: string): Date | undefined {
  try {
    const b = JSON.parse(text) as { tcb_info?: string; qe_identity?: string };
    const issued = [b.tcb_info, b.qe_identity].filter((s): s is string => typeof s === 'string').map((s) => Date.parse((JSON.parse(s) as { issueDate: string }).issueDate));
    return issued.length === 0 ? undefined : new Date(Math.max(...issued) + 3600_000);
  } catch {
    return undefined;
  }
}

/** A day after the first certificate's notBefore (for SNP folders: the VEK's). */
function certTime(certs: readonly Uint8Array[]): Date | undefined {
  for (const c of certs) {
    try {
      return new Date(Date.parse(new X509Certificate(Buffer.from(c)).validFrom) + 86_400_000);
    } catch {
      // PEM bundles of several certificates parse as their first block; DER CRLs do not parse: try the next
    }
  }
  return undefined;
}

export function corpusInputs(): CorpusInput[] {
  return listCorpus().map((item) => {
    const files = readdirSync(item.dir).sort();
    const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(item.dir, f)));
    const evidence = ['quote.bin', 'hcl-report.bin', 'report.bin'].filter((f) => files.includes(f)).map((file) => ({ file, bytes: read(file) }));
    const collateral = readCollateralText(item.dir);
    // SNP folders carry the VEK and its chain; DCAP folders' PEM/DER files are collateral pieces.
    const certs = item.tee === 'snp' ? files.filter((f) => f.endsWith('.pem') || f.endsWith('.der')).map(read) : [];
    const times = [collateral === undefined ? undefined : collateralTime(collateral), certTime(certs), ...FIXED_TIMES].filter((t): t is Date => t !== undefined);
    return { ...item, evidence, collateral, certs, times };
  });
}
