import type { KeyObject, X509Certificate } from 'node:crypto';
import { constantTimeEqual, isAllZero, toHex } from '../../common/bytes.js';
import { decodeTcb, encodeTcb, u64Hex, type SnpReport } from '../../evidence/snp/index.js';
import { VerifyError } from '../errors.js';
import type { SnpClaims, VerifiedEvidence } from '../types.js';
import { checkSnpChainAt, verifySnpChainLinks, type VerifiedSnpChain } from './chain.js';
import type { SnpCrl } from './crl.js';
import { snpClaims } from './claims.js';
import { sortSnpCerts, type SnpCertInput } from './inputs.js';
import { verifyReportSignature } from './report_signature.js';

export interface SnpVerifyContext {
  /** the verification time (validity windows, CRL); required, never read from a clock here */
  readonly now: Date;
  /** extra trusted ARKs per product line (CN 'ARK-<Product>'), added to the pinned AMD ARKs */
  readonly trustedArks?: readonly X509Certificate[];
  /** reuse verified chains across calls (same verifier, same trustedArks) */
  readonly chainCache?: SnpChainCache;
}

export type VerifiedSnpEvidence = Extract<VerifiedEvidence, { tee: 'snp' }>;

/** Picks the VEK that matches the report's SIGNING_KEY. */
function pickVek(report: SnpReport, sorted: ReturnType<typeof sortSnpCerts>): { cert: X509Certificate; role: 'vcek' | 'vlek' } {
  if (report.signingKey === 'none') throw new VerifyError('REPORT_NOT_SIGNED', 'SEV-SNP report KEY_INFO.SIGNING_KEY is 7: the report is not signed');
  if (sorted.veks.length === 0) throw new VerifyError('VEK_MISSING', `no ${report.signingKey.toUpperCase()} certificate was supplied for the SEV-SNP report`);
  const match = sorted.veks.filter((v) => v.role === report.signingKey);
  if (match.length === 0) {
    const got = sorted.veks.map((v) => v.role?.toUpperCase() ?? 'unknown').join(', ');
    throw new VerifyError('SIGNING_KEY_MISMATCH', `the report is signed by a ${report.signingKey.toUpperCase()}, the supplied key certificate is a ${got}`, {
      detail: { got, want: report.signingKey },
    });
  }
  if (match.length > 1) throw new VerifyError('CERTS_INVALID', `got ${match.length} ${report.signingKey.toUpperCase()} certificates, want one`);
  return { cert: match[0]!.cert, role: report.signingKey };
}

/** Reported TCB must equal the TCB the VEK was issued for (Turin layout includes FMC). */
function checkReportedTcb(report: SnpReport, chain: VerifiedSnpChain): void {
  const tcb = chain.extensions.tcb;
  if (chain.product === 'Turin' && tcb.fmc === undefined) {
    throw new VerifyError('VEK_EXTENSIONS_INVALID', 'Turin VCEK/VLEK extensions: fmcSPL (1.3.6.1.4.1.3704.1.3.9) is missing');
  }
  const want = encodeTcb(tcb, chain.product);
  if (report.reportedTcb !== want) {
    throw new VerifyError('REPORTED_TCB_MISMATCH', `REPORTED_TCB: got ${u64Hex(report.reportedTcb)}, want ${u64Hex(want)} (from the ${chain.vekRole.toUpperCase()} extensions)`, {
      detail: { got: decodeTcb(report.reportedTcb, chain.product), want: tcb, gotRaw: u64Hex(report.reportedTcb), wantRaw: u64Hex(want) },
    });
  }
}

/** CHIP_ID must equal the VCEK hwID (Turin: 8-byte hwID = CHIP_ID[0:8]); skipped with a warning when masked. */
function checkChipId(report: SnpReport, chain: VerifiedSnpChain, warnings: string[]): void {
  if (chain.vekRole !== 'vcek') return; // a VLEK is not bound to a chip and has no hwID
  const hwId = chain.extensions.hwId;
  if (hwId === undefined) throw new VerifyError('VEK_EXTENSIONS_INVALID', 'VCEK extensions: hwID (1.3.6.1.4.1.3704.1.4) is missing');
  if (report.maskChipKey) {
    if (!isAllZero(report.chipId)) throw new VerifyError('CHIP_ID_MISMATCH', `CHIP_ID must be zero when MASK_CHIP_KEY is set, got ${toHex(report.chipId)}`);
    warnings.push('CHIP_ID is masked (MASK_CHIP_KEY=1): the chip ID was not compared with the VCEK hwID');
    return;
  }
  const want = chain.product === 'Turin' ? 8 : 64;
  const got = report.chipId.subarray(0, want);
  if (hwId.length !== want || !constantTimeEqual(got, hwId)) {
    throw new VerifyError('CHIP_ID_MISMATCH', `CHIP_ID${want === 8 ? '[0:8]' : ''}: got ${toHex(got)}, want ${toHex(hwId)} (VCEK hwID)`, {
      detail: { got: toHex(got), want: toHex(hwId) },
    });
  }
}

/** A verified chain (time-independent part) and its imported VEK key, reusable per exact certificate input. */
export interface CachedSnpChain {
  readonly chain: VerifiedSnpChain;
  readonly crl: SnpCrl | undefined;
  readonly vekKey: KeyObject;
}

/**
 * Verified chains per exact certificate bytes and SIGNING_KEY. It belongs to one verifier:
 * its `trustedArks` must not change while the cache is in use (createVerifier fixes them).
 */
export class SnpChainCache {
  private readonly map = new Map<string, CachedSnpChain>();
  constructor(private readonly max = 1024) {}
  static keyOf(signingKey: string, blobs: readonly Uint8Array[]): string {
    // length-prefixed, so different splits of the same bytes cannot collide
    return `${signingKey}|${blobs.map((b) => `${b.length}:${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')}`).join('|')}`;
  }
  get(key: string): CachedSnpChain | undefined {
    return this.map.get(key);
  }
  set(key: string, value: CachedSnpChain): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, value);
  }
}

/** Links and signatures from the cache when the same certificates were verified before; times always. */
function chainFor(report: SnpReport, certs: SnpCertInput, ctx: SnpVerifyContext): CachedSnpChain {
  const cache = ctx.chainCache;
  const key = cache !== undefined && Array.isArray(certs) ? SnpChainCache.keyOf(report.signingKey, certs as readonly Uint8Array[]) : undefined;
  let entry = key === undefined ? undefined : cache!.get(key);
  if (entry === undefined) {
    const sorted = sortSnpCerts(certs);
    const vek = pickVek(report, sorted);
    const chain = verifySnpChainLinks(
      { vek: vek.cert, vekRole: vek.role, intermediates: sorted.intermediates, arks: sorted.arks, crl: sorted.crl },
      ctx.trustedArks === undefined ? {} : { trustedArks: ctx.trustedArks },
    );
    entry = { chain, crl: sorted.crl, vekKey: chain.vek.publicKey };
    if (key !== undefined) cache!.set(key, entry);
  }
  checkSnpChainAt(entry.chain, entry.crl, ctx.now);
  return entry;
}

/**
 * Verifies a parsed SEV-SNP report: the VCEK/VLEK chain to a pinned ARK of the same product,
 * windows at `now`, the optional CRL, SIGNING_KEY vs certificate kind, the report signature,
 * REPORTED_TCB vs the VEK TCB extensions and CHIP_ID vs hwID. The status is always 'UpToDate':
 * AMD publishes no TCB-status service like Intel's; TCB freshness is a policy decision
 * (validateSnp's `minimumTcb`).
 */
export function verifySnpReport(report: SnpReport, certs: SnpCertInput, ctx: SnpVerifyContext): VerifiedSnpEvidence {
  const { chain, vekKey } = chainFor(report, certs, ctx);
  verifyReportSignature(report, vekKey);
  checkReportedTcb(report, chain);
  const warnings: string[] = [];
  checkChipId(report, chain, warnings);
  const claims: SnpClaims = snpClaims(report, chain.vekRole, chain.product);
  return { tee: 'snp', status: 'UpToDate', advisoryIds: [], claims, warnings };
}
