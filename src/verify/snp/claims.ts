import { toHex } from '../../common/bytes.js';
import { decodeTcb, u64Hex, type SnpReport } from '../../evidence/snp/index.js';
import type { SnpClaims, SnpProduct } from '../types.js';

/** Guest policy bit 19: DEBUG allowed (AMD SEV-SNP ABI spec 56860, GUEST_POLICY; go-sev-guest abi.go policyDebugBit). */
export const POLICY_DEBUG_BIT = 19n;

/** The normalized SNP claims of a verified report (names fixed in src/verify/types.ts; bytes lowercase hex). */
export function snpClaims(report: SnpReport, signingKey: 'vcek' | 'vlek', product: SnpProduct): SnpClaims {
  return {
    measurement: toHex(report.measurement),
    hostData: toHex(report.hostData),
    reportData: toHex(report.reportData),
    chipId: toHex(report.chipId),
    reportedTcb: decodeTcb(report.reportedTcb, product),
    guestSvn: report.guestSvn,
    policy: u64Hex(report.policy),
    vmpl: report.vmpl,
    debug: ((report.policy >> POLICY_DEBUG_BIT) & 1n) === 1n,
    familyId: toHex(report.familyId),
    imageId: toHex(report.imageId),
    signingKey,
    product,
  };
}
