import { toHex } from '../../common/bytes.js';
import { isSgxDebug, isTdDebug, type DcapQuote, type EnclaveReportBody, type TdReportBody10 } from '../../evidence/dcap/index.js';
import type { SgxClaims, TdxClaims } from '../types.js';

/** Maps a verified quote body to the fixed claim names of src/verify/types.ts (lowercase hex). */
export function sgxClaims(report: EnclaveReportBody, fmspc: string): SgxClaims {
  return {
    mrenclave: toHex(report.mrEnclave),
    mrsigner: toHex(report.mrSigner),
    isvProdId: report.isvProdId,
    isvSvn: report.isvSvn,
    reportData: toHex(report.reportData),
    debug: isSgxDebug(report),
    fmspc: fmspc.toLowerCase(),
  };
}

export function tdxClaims(report: TdReportBody10, fmspc: string): TdxClaims {
  return {
    mrtd: toHex(report.mrTd),
    rtmr0: toHex(report.rtmr0),
    rtmr1: toHex(report.rtmr1),
    rtmr2: toHex(report.rtmr2),
    rtmr3: toHex(report.rtmr3),
    mrConfigId: toHex(report.mrConfigId),
    mrOwner: toHex(report.mrOwner),
    mrOwnerConfig: toHex(report.mrOwnerConfig),
    reportData: toHex(report.reportData),
    teeTcbSvn: toHex(report.teeTcbSvn),
    debug: isTdDebug(report),
    fmspc: fmspc.toLowerCase(),
  };
}

export function claimsOf(quote: DcapQuote, fmspc: string): { tee: 'sgx'; claims: SgxClaims } | { tee: 'tdx'; claims: TdxClaims } {
  const b = quote.body;
  return b.tee === 'sgx' ? { tee: 'sgx', claims: sgxClaims(b.report, fmspc) } : { tee: 'tdx', claims: tdxClaims(b.report, fmspc) };
}
