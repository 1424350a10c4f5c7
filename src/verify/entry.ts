import { X509Certificate } from 'node:crypto';
import { CloisterError } from '../common/errors.js';
import { EvidenceError } from '../evidence/errors.js';
import { looksLikeDcapQuote, parseDcapQuote } from '../evidence/dcap/index.js';
import { looksLikeHclReport, looksLikeSnpReport, parseSnpReport } from '../evidence/snp/index.js';
import {
  createDcapVerifier,
  INTEL_SGX_ROOT_CA,
  parseCollateralBundle,
  type CollateralBundle,
  type PreparedCollateral,
} from './dcap/index.js';
import { SnpChainCache, verifyHclReport, verifySnpReport } from './snp/index.js';
import { VerifyError } from './errors.js';
import { validateAcceptance } from './policy.js';
import { DEFAULT_ACCEPTED_STATUSES, type Tee, type TcbStatus, type VerificationResult, type VerifiedEvidence } from './types.js';

export interface VerifyEvidenceOptions {
  /** Expected TEE; detected from the bytes when absent. A mismatch is TEE_MISMATCH. */
  readonly tee?: Tee;
  /** DCAP collateral: a bundle (object or JSON text) or one prepared earlier with `prepareCollateral`. */
  readonly collateral?: CollateralBundle | PreparedCollateral | string | object;
  /** SEV-SNP certificates (VCEK/VLEK, ASK/ASVK, ARK) and optionally the AMD CRL, PEM or DER, any order. */
  readonly certs?: readonly Uint8Array[];
  /** Verification time. Defaults to the current time (the only place a clock is read). */
  readonly now?: Date;
  /** Accepted TCB statuses, or 'any'. Default UpToDate, SWHardeningNeeded. */
  readonly accept?: readonly TcbStatus[] | 'any';
  /** Extra trusted Intel roots (the real Intel SGX Root CA is always trusted). PEM/DER bytes or certificates. */
  readonly trustRoots?: readonly (X509Certificate | Uint8Array | string)[];
  readonly allowDebug?: boolean;
  /** Accept DCAP collateral without CRLs; the result then carries a warning. */
  readonly allowMissingCrl?: boolean;
}

type EvidenceKind = { tee: 'sgx' | 'tdx'; format: 'dcap' } | { tee: 'snp'; format: 'snp' | 'hcl' };

/** Detects the evidence format from its bytes (cheap sniffing; the parsers do the real checks). */
export function detectEvidence(bytes: Uint8Array): EvidenceKind {
  if (looksLikeHclReport(bytes)) return { tee: 'snp', format: 'hcl' };
  if (looksLikeDcapQuote(bytes)) {
    const teeType = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
    return { tee: teeType === 0x81 ? 'tdx' : 'sgx', format: 'dcap' };
  }
  if (looksLikeSnpReport(bytes)) return { tee: 'snp', format: 'snp' };
  throw new EvidenceError('EVIDENCE_FORMAT_UNKNOWN', `unrecognized evidence (${bytes.length} bytes): not a DCAP quote (v3-v5), an SEV-SNP report (1184 bytes) or an Azure HCL report`);
}

function toCertificate(input: X509Certificate | Uint8Array | string, what: string): X509Certificate {
  if (input instanceof X509Certificate) return input;
  try {
    return new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
  } catch (cause) {
    throw new VerifyError('TRUST_ROOT_INVALID', `${what} is not a parseable X.509 certificate`, { cause });
  }
}

/**
 * Verifies evidence with collateral caching across calls: prepared collateral is kept per
 * bundle text / object, verified PCK intermediate chains per exact DER bytes, and verified
 * SEV-SNP certificate chains per exact certificate bytes (windows and CRLs are re-checked
 * against `now` on every call). Every cache (imported keys included) belongs to the returned
 * verifier, so a new one starts cold; only pinned roots are program constants.
 */
export function createVerifier(base: { trustRoots?: VerifyEvidenceOptions['trustRoots'] } = {}) {
  // Extra roots are trusted IN ADDITION to the pinned Intel SGX Root CA (never instead of it).
  const given = (base.trustRoots ?? []).map((r, i) => toCertificate(r, `trust root #${i + 1}`));
  const extraRoots = given.length === 0 ? [] : [INTEL_SGX_ROOT_CA, ...given];
  const dcap = createDcapVerifier(extraRoots.length > 0 ? { trustRoots: extraRoots } : {});
  const preparedByText = new Map<string, PreparedCollateral>();
  const preparedByObject = new WeakMap<object, PreparedCollateral>();
  const snpChains = new SnpChainCache();

  function prepared(c: NonNullable<VerifyEvidenceOptions['collateral']>): PreparedCollateral {
    if (typeof c === 'string') {
      let p = preparedByText.get(c);
      if (p === undefined) {
        p = dcap.prepare(parseCollateralBundle(c));
        if (preparedByText.size > 64) preparedByText.clear();
        preparedByText.set(c, p);
      }
      return p;
    }
    let p = preparedByObject.get(c);
    if (p === undefined) {
      p = isPrepared(c) ? c : dcap.prepare(parseCollateralBundle(c));
      preparedByObject.set(c, p);
    }
    return p;
  }

  function verifyAuthentic(bytes: Uint8Array, o: VerifyEvidenceOptions): VerifiedEvidence {
    const kind = detectEvidence(bytes);
    if (o.tee !== undefined && o.tee !== kind.tee) {
      throw new VerifyError('TEE_MISMATCH', `the evidence is ${kind.tee.toUpperCase()} evidence, not ${o.tee.toUpperCase()} as requested`);
    }
    const now = o.now ?? new Date();
    if (kind.format === 'dcap') {
      const quote = parseDcapQuote(bytes);
      if (o.collateral === undefined) {
        throw new VerifyError('COLLATERAL_MISSING', `${kind.tee.toUpperCase()} quotes need collateral (--collateral bundle.json; fetch one with 'cloister collateral fetch')`);
      }
      return dcap.verify(quote, prepared(o.collateral), { now, requireCrls: !(o.allowMissingCrl ?? false) });
    }
    const certs = o.certs ?? [];
    const ctx = { now, chainCache: snpChains };
    if (kind.format === 'hcl') return verifyHclReport(bytes, certs, ctx);
    return verifySnpReport(parseSnpReport(bytes), certs, ctx);
  }

  return {
    /**
     * Authenticity only (parse + verify, no debug/status policy): returns the facts or throws
     * the typed error. For callers with their own policy, such as the coordinator's packages.
     */
    verifyAuthentic,
    /** Resolves to a VerificationResult; never rejects for bad evidence (only for programming errors). */
    async verify(bytes: Uint8Array, o: VerifyEvidenceOptions = {}): Promise<VerificationResult> {
      return this.verifySync(bytes, o);
    },
    verifySync(bytes: Uint8Array, o: VerifyEvidenceOptions = {}): VerificationResult {
      let verified: VerifiedEvidence;
      try {
        verified = verifyAuthentic(bytes, o);
      } catch (e) {
        return { ok: false, tee: guessTee(bytes, o.tee), error: errorView(e) };
      }
      try {
        validateAcceptance(verified, { accept: o.accept ?? DEFAULT_ACCEPTED_STATUSES, allowDebug: o.allowDebug ?? false });
      } catch (e) {
        const { tee, status, advisoryIds, claims, warnings } = verified;
        return { ok: false, tee, status, advisoryIds, claims, warnings, error: errorView(e) };
      }
      return { ok: true, ...verified };
    },
  };
}

function isPrepared(c: object): c is PreparedCollateral {
  return (c as { kind?: unknown }).kind === 'prepared-dcap-collateral';
}

function guessTee(bytes: Uint8Array, asked: Tee | undefined): Tee | null {
  try {
    return detectEvidence(bytes).tee;
  } catch {
    return asked ?? null;
  }
}

/** Typed errors become their public view; anything else is a bug, reported without a stack. */
export function errorView(e: unknown): { code: string; message: string; detail?: Readonly<Record<string, unknown>> } {
  if (e instanceof CloisterError) return e.toJSON();
  return { code: 'INTERNAL_ERROR', message: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

let shared: ReturnType<typeof createVerifier> | undefined;

/**
 * Verifies SGX/TDX DCAP quotes and SEV-SNP (incl. Azure HCL) reports: parse, verify
 * signatures/chains/collateral, then validate debug and TCB status. Resolves to
 * `{ ok: true, tee, status, advisoryIds, claims, warnings }` or `{ ok: false, tee, error, ... }`.
 */
export async function verifyEvidence(bytes: Uint8Array, options: VerifyEvidenceOptions = {}): Promise<VerificationResult> {
  if (options.trustRoots !== undefined && options.trustRoots.length > 0) return createVerifier({ trustRoots: options.trustRoots }).verify(bytes, options);
  shared ??= createVerifier();
  return shared.verify(bytes, options);
}
