import type { X509Certificate } from 'node:crypto';
import { pckChainPem, type DcapQuote } from '../../evidence/dcap/index.js';
import { VerifyError } from '../errors.js';
import type { VerifiedEvidence } from '../types.js';
import type { CollateralBundle } from './bundle.js';
import { claimsOf } from './claims.js';
import { trustAnchors, type TrustAnchor } from './anchors.js';
import { checkCollateralTimes, prepareCollateralWith, type PreparedCollateral } from './collateral.js';
import { KeyCache } from './keys.js';
import { PckChainVerifier } from './pck_chain.js';
import { BindingDigests, matchQeIdentity, verifyQeReportBinding, verifyQeReportSignature } from './qe_report.js';
import { verifyQuoteSignature } from './quote_signature.js';
import { matchTcbLevel, matchTdxModule } from './tcb_level.js';
import { convergeStatus, unionAdvisories } from './tcb_status.js';

/**
 * DCAP quote verification (SGX and TDX), in the order of Intel QVL QuoteVerifier::verify and
 * go-tdx-guest verify/verify.go: PCK chain (+CRLs), QE report signature, QE report binding,
 * quote signature, collateral (windows, FMSPC / PCE-ID / TEE type), QE identity, TCB level.
 * Facts only: debug and accepted statuses are the caller's validate step.
 */
export interface DcapVerifyContext {
  readonly now: Date;
  /** Must include the roots the prepared collateral was verified against. */
  readonly trustRoots?: readonly X509Certificate[];
  /** When false, absent CRLs are skipped with a warning ("CRL check skipped: ..."); present CRLs are always checked. */
  readonly requireCrls: boolean;
}

export interface DcapVerifier {
  verify(quote: DcapQuote, collateral: CollateralBundle | PreparedCollateral | undefined, ctx: Omit<DcapVerifyContext, 'trustRoots'>): VerifiedEvidence;
  /** prepareCollateral against this verifier's roots, sharing its CA key cache. */
  prepare(bundle: CollateralBundle): PreparedCollateral;
}

function isPrepared(c: CollateralBundle | PreparedCollateral): c is PreparedCollateral {
  return (c as { kind?: unknown }).kind === 'prepared-dcap-collateral';
}

/**
 * A verifier that keeps verified PCK CA chains (per exact DER) and PCK leaves (per exact
 * chain PEM) across calls; bundles passed as-is are prepared on every call, so pass
 * `prepare(...)` / `prepareCollateral(...)` results for the cached path.
 *
 * Everything it keeps (imported CA and attestation keys, verified chains) belongs to this
 * instance: a new verifier starts cold. Only the pinned Intel SGX Root CA (parsed, key
 * imported) is shared, as a constant of the program (anchors.ts).
 */
export function createDcapVerifier(o: { trustRoots?: readonly X509Certificate[] } = {}): DcapVerifier {
  const anchors = trustAnchors(o.trustRoots);
  const caKeys = new KeyCache(256);
  const chains = new PckChainVerifier(anchors, caKeys);
  const state: VerifierState = { anchors, chains, attestationKeys: new KeyCache(), bindings: new BindingDigests() };
  const prepare = (bundle: CollateralBundle) => prepareCollateralWith(bundle, { anchors, caKeys });
  return {
    prepare,
    verify(quote, collateral, ctx) {
      if (collateral === undefined) throw new VerifyError('COLLATERAL_MISSING', 'DCAP verification needs collateral (TCB info, QE identity, CRLs)');
      return verifyWith(quote, isPrepared(collateral) ? collateral : prepare(collateral), ctx, state);
    },
  };
}

interface VerifierState {
  readonly anchors: readonly TrustAnchor[];
  readonly chains: PckChainVerifier;
  readonly attestationKeys: KeyCache;
  readonly bindings: BindingDigests;
}

/** One-shot verification (no caching across calls). */
export function verifyDcapQuote(quote: DcapQuote, collateral: CollateralBundle | PreparedCollateral | undefined, ctx: DcapVerifyContext): VerifiedEvidence {
  return createDcapVerifier(ctx.trustRoots !== undefined ? { trustRoots: ctx.trustRoots } : {}).verify(quote, collateral, ctx);
}

function verifyWith(quote: DcapQuote, p: PreparedCollateral, o: { now: Date; requireCrls: boolean }, state: VerifierState): VerifiedEvidence {
  const warnings: string[] = [];
  const pem = pckChainPem(quote);
  if (pem === undefined) throw new VerifyError('PCK_CHAIN_MISSING', 'PCK chain check: the quote carries no PCK certificate chain (certification data type 5)');
  const pck = state.chains.verify(pem, p, { now: o.now, requireCrls: o.requireCrls, warnings });
  verifyQeReportSignature(quote, pck.leafKey);
  verifyQeReportBinding(quote, state.bindings);
  verifyQuoteSignature(quote, state.attestationKeys);

  checkCollateralTimes(p, { now: o.now, anchors: state.anchors, requireCrls: o.requireCrls, warnings });
  const tee = quote.body.tee;
  const info = p.tcbInfo;
  const ext = pck.extensions;
  if (info.fmspc !== ext.fmspc) throw new VerifyError('TCB_INFO_MISMATCH', `TCB info FMSPC check: got ${info.fmspc}, want ${ext.fmspc} (PCK certificate)`);
  if (info.pceId !== ext.pceId) throw new VerifyError('TCB_INFO_MISMATCH', `TCB info PCE ID check: got ${info.pceId}, want ${ext.pceId} (PCK certificate)`);
  const wantId = tee === 'tdx' ? 'TDX' : 'SGX';
  if (info.id !== wantId || (tee === 'tdx' && info.version < 3)) {
    throw new VerifyError('TCB_INFO_MISMATCH', `TCB info type check: got ${info.id} v${info.version}, want ${wantId}${tee === 'tdx' ? ' v3' : ''} for a ${tee.toUpperCase()} quote`);
  }
  const wantQe = tee === 'tdx' ? 'TD_QE' : 'QE';
  if (p.qeIdentity.id !== wantQe) throw new VerifyError('QE_IDENTITY_MISMATCH', `QE identity type check: got ${p.qeIdentity.id}, want ${wantQe} for a ${tee.toUpperCase()} quote`);

  const qe = matchQeIdentity(quote.signatureData.qeReportCertData.qeReport, p.qeIdentity);
  const body = quote.body;
  const module = body.tee === 'tdx' ? matchTdxModule(info, body.report) : undefined;
  const platform = matchTcbLevel(info, {
    sgxComponents: ext.sgxTcbComponents,
    pcesvn: ext.pcesvn,
    ...(body.tee === 'tdx' ? { teeTcbSvn: body.report.teeTcbSvn } : {}),
  });
  let status = platform.status;
  if (module !== undefined) status = convergeStatus(status, module.status);
  status = convergeStatus(status, qe.status);
  const advisoryIds = unionAdvisories(platform.advisoryIds, module?.advisoryIds ?? [], qe.advisoryIds);
  const c = claimsOf(quote, ext.fmspc);
  if (warnings.length > 1) warnings.splice(0, warnings.length, ...new Set(warnings));
  return c.tee === 'sgx'
    ? { tee: 'sgx', status, advisoryIds, claims: c.claims, warnings }
    : { tee: 'tdx', status, advisoryIds, claims: c.claims, warnings };
}
