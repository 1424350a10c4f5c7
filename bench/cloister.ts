import { createVerifier } from '../src/verify/index.js';
import type { VerifyEvidenceOptions } from '../src/verify/index.js';
import type { BenchCase } from './inputs.js';

/**
 * Cloister's own paths, through the public entry (`createVerifier` is what `verifyEvidence`
 * uses). Policy is opened (`accept: 'any'`, debug allowed) so every call does the full
 * verification and ends ok; `verifySync` avoids timing a promise per call.
 */
function optionsOf(c: BenchCase): VerifyEvidenceOptions {
  return {
    now: c.now,
    accept: 'any',
    allowDebug: true,
    ...(c.collateral === undefined ? {} : { collateral: c.collateral }),
    ...(c.certs === undefined ? {} : { certs: c.certs }),
  };
}

function check(c: BenchCase, r: ReturnType<ReturnType<typeof createVerifier>['verifySync']>): void {
  if (!r.ok) throw new Error(`${c.id}: ${r.error.code}: ${r.error.message}`);
  if (r.status !== c.status) throw new Error(`${c.id}: status ${r.status}, want ${c.status}`);
}

/** Cold: a fresh verifier each call, so the bundle JSON / certificates are parsed and verified every time. */
export function cloisterCold(c: BenchCase): () => void {
  const o = optionsOf(c);
  check(c, createVerifier().verifySync(c.evidence, o));
  return () => {
    const r = createVerifier().verifySync(c.evidence, o);
    if (!r.ok) throw new Error(r.error.code);
  };
}

/** Cached: one verifier reused, so prepared collateral and verified chains are reused. */
export function cloisterCached(c: BenchCase): () => void {
  const v = createVerifier();
  const o = optionsOf(c);
  check(c, v.verifySync(c.evidence, o));
  return () => {
    const r = v.verifySync(c.evidence, o);
    if (!r.ok) throw new Error(r.error.code);
  };
}
