import type { KeyObject, X509Certificate } from 'node:crypto';
import { VerifyError, type VerifyCode } from '../errors.js';
import { anchorFor, trustAnchors, type TrustAnchor } from './anchors.js';
import type { CollateralBundle } from './bundle.js';
import { commonName, sameBytes, signatureValid, type ParsedCert } from './cert.js';
import { checkChainTimes, parsePemChain, verifyChainLinks } from './chain.js';
import { checkCrlTime, checkNotRevoked, parseCrl, type ParsedCrl } from './crl.js';
import { KeyCache } from './keys.js';
import { parseQeIdentity, type QeIdentity } from './qe_identity.js';
import { jsonSignatureValid } from './signed_json.js';
import { parseTcbInfo, type TcbInfo } from './tcb_info.js';

/**
 * Collateral parsed and authenticated once (PEM/JSON parsing, issuer chains, signatures over
 * the JSON text, root CA CRL signature, revocation of the signing certificate), so repeated
 * verifications only re-check what depends on `now` (checkCollateralTimes).
 */
export interface PreparedCollateral {
  readonly kind: 'prepared-dcap-collateral';
  readonly tcbInfo: TcbInfo;
  readonly qeIdentity: QeIdentity;
  readonly tcbInfoChain: readonly ParsedCert[];
  readonly qeIdentityChain: readonly ParsedCert[];
  /** the Intel SGX Root CA CRL, its signature checked against `rootCaCrlIssuer` */
  readonly rootCaCrl?: ParsedCrl;
  readonly rootCaCrlIssuer?: Uint8Array;
  /** the PCK CA CRL; checked against the quote's own PCK CA certificate at verification */
  readonly pckCrl?: ParsedCrl;
  /** DER of every trust root the collateral was verified against */
  readonly roots: readonly Uint8Array[];
}

export interface PrepareOptions {
  readonly trustRoots?: readonly X509Certificate[];
}

/** What preparing collateral uses of its verifier: the trust anchors and its CA key cache. */
export interface CollateralContext {
  readonly anchors: readonly TrustAnchor[];
  readonly caKeys: KeyCache;
}

interface VerifiedIssuerChain {
  readonly pem: string;
  readonly chain: ParsedCert[];
  readonly key: KeyObject;
}

function signedItem<T>(
  o: { chainPem: string; text: string; signature: string; ctx: CollateralContext; code: VerifyCode; what: string; verifiedBefore?: VerifiedIssuerChain },
  parse: (text: string) => T,
): { value: T; chain: ParsedCert[]; issuer: VerifiedIssuerChain } {
  // Issuer chain first: nothing in the JSON is believed before its signature is checked. Intel
  // serves the same chain text for TCB info and QE identity: identical text, verified once.
  let issuer = o.verifiedBefore !== undefined && o.verifiedBefore.pem === o.chainPem ? o.verifiedBefore : undefined;
  if (issuer === undefined) {
    const chain = parsePemChain(o.chainPem, o.code, `${o.what} issuer chain`, o.ctx.anchors);
    const verified = verifyChainLinks(chain, o.ctx.anchors, { code: o.code, what: `${o.what} issuer chain`, length: 2, keys: o.ctx.caKeys });
    issuer = { pem: o.chainPem, chain, key: verified.keys[0]! };
  }
  if (!jsonSignatureValid(o.text, o.signature, issuer.key)) {
    throw new VerifyError(o.code, `${o.what} signature check: the signature does not verify under '${commonName(issuer.chain[0]!.subject) ?? '?'}'`);
  }
  return { value: parse(o.text), chain: issuer.chain, issuer };
}

/**
 * Parses and authenticates a collateral bundle against `trustRoots` (default: Intel's root).
 * Throws VerifyError (TCB_INFO_*, QE_IDENTITY_*, CRL_INVALID, CRL_REVOKED). Stand-alone: keys
 * imported here are not kept (a verifier's `prepare` shares its own key cache instead).
 */
export function prepareCollateral(bundle: CollateralBundle, options: PrepareOptions = {}): PreparedCollateral {
  return prepareCollateralWith(bundle, { anchors: trustAnchors(options.trustRoots), caKeys: new KeyCache(64) });
}

export function prepareCollateralWith(bundle: CollateralBundle, ctx: CollateralContext): PreparedCollateral {
  const tcb = signedItem(
    { chainPem: bundle.tcb_info_issuer_chain, text: bundle.tcb_info, signature: bundle.tcb_info_signature, ctx, code: 'TCB_INFO_SIGNATURE_INVALID', what: 'TCB info' },
    parseTcbInfo,
  );
  const qe = signedItem(
    { chainPem: bundle.qe_identity_issuer_chain, text: bundle.qe_identity, signature: bundle.qe_identity_signature, ctx, code: 'QE_IDENTITY_SIGNATURE_INVALID', what: 'QE identity', verifiedBefore: tcb.issuer },
    parseQeIdentity,
  );
  let rootCaCrl: ParsedCrl | undefined;
  let rootCaCrlIssuer: Uint8Array | undefined;
  if (bundle.root_ca_crl !== null) {
    rootCaCrl = parseCrl(bundle.root_ca_crl, 'root CA CRL');
    const crl = rootCaCrl;
    // The chains' roots are trust anchors already (verifyChainLinks); the CRL must be signed by one.
    const roots = sameBytes(tcb.chain[1]!.der, qe.chain[1]!.der) ? [tcb.chain[1]!] : [tcb.chain[1]!, qe.chain[1]!];
    rootCaCrlIssuer = roots.find((root) => {
      const anchor = anchorFor(root.der, ctx.anchors);
      return anchor !== undefined && sameBytes(crl.issuer, root.subject) && signatureValid(crl, anchor.key);
    })?.der;
    if (rootCaCrlIssuer === undefined) {
      throw new VerifyError('CRL_INVALID', `root CA CRL check: issued by '${commonName(crl.issuer) ?? '?'}' but not signed by the root of the collateral issuer chains`);
    }
    checkNotRevoked(crl, tcb.chain[0]!, 'TCB info signing certificate');
    checkNotRevoked(crl, qe.chain[0]!, 'QE identity signing certificate');
  }
  const pckCrl = bundle.pck_crl === null ? undefined : parseCrl(bundle.pck_crl, 'PCK CRL');
  // pck_crl_issuer_chain is not needed: the PCK CRL is checked against the PCK CA certificate
  // of the quote's own chain, which is itself verified up to the trust root.
  const usedRoots = [tcb.chain[1]!.der, ...(sameBytes(qe.chain[1]!.der, tcb.chain[1]!.der) ? [] : [qe.chain[1]!.der])];
  return {
    kind: 'prepared-dcap-collateral',
    tcbInfo: tcb.value,
    qeIdentity: qe.value,
    tcbInfoChain: tcb.chain,
    qeIdentityChain: qe.chain,
    ...(rootCaCrl !== undefined ? { rootCaCrl, rootCaCrlIssuer: rootCaCrlIssuer! } : {}),
    ...(pckCrl !== undefined ? { pckCrl } : {}),
    roots: usedRoots,
  };
}

/**
 * Per prepared collateral: the anchors list it was last found trusted by, and the span in which
 * every window it carries (issuer chains, TCB info, QE identity, root CA CRL) is open. A `now`
 * inside the span passes every window check at once; outside it, the checks below run one by
 * one in their usual order, so the error is exactly the one they give.
 */
const trustedBy = new WeakMap<PreparedCollateral, readonly TrustAnchor[]>();
const openSpan = new WeakMap<PreparedCollateral, { from: number; until: number }>();

function spanOf(p: PreparedCollateral): { from: number; until: number } {
  let s = openSpan.get(p);
  if (s === undefined) {
    let from = -Infinity;
    let until = Infinity;
    const add = (a: Date, b: Date): void => {
      from = Math.max(from, a.getTime());
      until = Math.min(until, b.getTime());
    };
    for (const c of [...p.tcbInfoChain, ...p.qeIdentityChain]) add(c.notBefore, c.notAfter);
    add(p.tcbInfo.issueDate, p.tcbInfo.nextUpdate);
    add(p.qeIdentity.issueDate, p.qeIdentity.nextUpdate);
    if (p.rootCaCrl !== undefined) add(p.rootCaCrl.thisUpdate, p.rootCaCrl.nextUpdate);
    s = { from, until };
    openSpan.set(p, s);
  }
  return s;
}

/** Everything about the collateral that depends on `now` or on the caller's trust roots. */
export function checkCollateralTimes(p: PreparedCollateral, o: { now: Date; anchors: readonly TrustAnchor[]; requireCrls: boolean; warnings: string[] }): void {
  if (trustedBy.get(p) !== o.anchors) {
    for (const r of p.roots) {
      if (anchorFor(r, o.anchors) === undefined) {
        throw new VerifyError('UNTRUSTED_COLLATERAL_ROOT', 'collateral trust check: it was prepared against a root this verifier does not trust');
      }
    }
    trustedBy.set(p, o.anchors);
  }
  const t = o.now.getTime();
  const span = spanOf(p);
  if (t < span.from || t > span.until || Number.isNaN(t)) {
    checkChainTimes(p.tcbInfoChain, o.now, 'ISSUER_CERT_EXPIRED', 'TCB info issuer chain');
    checkChainTimes(p.qeIdentityChain, o.now, 'ISSUER_CERT_EXPIRED', 'QE identity issuer chain');
    window(p.tcbInfo, o.now, 'TCB_INFO_EXPIRED', 'TCB info');
    window(p.qeIdentity, o.now, 'QE_IDENTITY_EXPIRED', 'QE identity');
    if (p.rootCaCrl !== undefined) checkCrlTime(p.rootCaCrl, o.now, 'root CA CRL');
  }
  if (p.rootCaCrl === undefined) {
    if (o.requireCrls) throw new VerifyError('CRL_MISSING', 'root CA CRL check: the collateral has no root CA CRL');
    o.warnings.push('CRL check skipped: the collateral has no root CA CRL');
  }
}

function window(item: { issueDate: Date; nextUpdate: Date }, now: Date, code: VerifyCode, what: string): void {
  const t = now.getTime();
  if (t < item.issueDate.getTime() || t > item.nextUpdate.getTime()) {
    throw new VerifyError(code, `${what} freshness check: now ${now.toISOString()} is outside issueDate..nextUpdate ${item.issueDate.toISOString()}..${item.nextUpdate.toISOString()}`, {
      detail: { now: now.toISOString(), issueDate: item.issueDate.toISOString(), nextUpdate: item.nextUpdate.toISOString() },
    });
  }
}
