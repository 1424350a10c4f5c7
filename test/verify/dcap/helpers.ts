import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDcapQuote, type DcapQuote } from '../../../src/evidence/dcap/index.js';
import { parseCollateralBundle, type CollateralBundle } from '../../../src/verify/dcap/index.js';
import { listCases, vectorPath, type VectorCase } from '../../support/vectors.js';

/** Shared loading of the DCAP vectors for the tests in this folder (not a test file). */
export const EXPIRY_CODES = ['PCK_CERT_EXPIRED', 'ISSUER_CERT_EXPIRED', 'CRL_EXPIRED', 'TCB_INFO_EXPIRED', 'QE_IDENTITY_EXPIRED'] as const;

export function dcapFullCases(): VectorCase[] {
  return listCases().filter((c) => (c.tee === 'sgx' || c.tee === 'tdx') && c.kind === 'full');
}

export function collateralFile(dir: string): string {
  return existsSync(join(dir, 'collateral.json')) ? join(dir, 'collateral.json') : join(dir, 'collateral.normalized.json');
}

export interface LoadedCase {
  readonly c: VectorCase;
  readonly quoteBytes: Uint8Array;
  readonly quote: DcapQuote;
  readonly bundle: CollateralBundle;
  readonly now: Date;
  readonly requireCrls: boolean;
}

export function loadCase(c: VectorCase): LoadedCase {
  const quoteBytes = new Uint8Array(readFileSync(vectorPath(c.id, c.files.quote ?? 'quote.bin')));
  const dir = vectorPath(c.id, '.');
  return {
    c,
    quoteBytes,
    quote: parseDcapQuote(quoteBytes, { allowTrailingData: true }),
    bundle: parseCollateralBundle(readFileSync(collateralFile(dir), 'utf8')),
    now: new Date(c.verify_at!),
    // `requires` names the relaxations a case needs; in these vectors that is always "no CRLs".
    requireCrls: typeof c.expect.requires !== 'string',
  };
}
