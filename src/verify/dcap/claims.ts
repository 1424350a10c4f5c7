import { toHex } from '../../common/bytes.js';
import { isSgxDebug, isTdDebug, type DcapQuote, type EnclaveReportBody, type TdReportBody10 } from '../../evidence/dcap/index.js';
import type { SgxClaims, TdxClaims } from '../types.js';

/**
 * Hex of byte fields that are views into one region (the parsed quote): the region is rendered
 * once and each field is a substring of it, instead of one hex encoding per field. A field
 * that is not inside the region (a hand-built quote object) is encoded on its own.
 */
function hexFieldsOf(region: Uint8Array | undefined): (field: Uint8Array) => string {
  if (region === undefined) return toHex;
  const hex = toHex(region);
  return (f) => {
    const at = f.byteOffset - region.byteOffset;
    return f.buffer === region.buffer && at >= 0 && at + f.length <= region.length ? hex.slice(at * 2, (at + f.length) * 2) : toHex(f);
  };
}

/** Maps a verified quote body to the fixed claim names of src/verify/types.ts (lowercase hex). */
export function sgxClaims(report: EnclaveReportBody, fmspc: string, region?: Uint8Array): SgxClaims {
  const hex = hexFieldsOf(region);
  return {
    mrenclave: hex(report.mrEnclave),
    mrsigner: hex(report.mrSigner),
    isvProdId: report.isvProdId,
    isvSvn: report.isvSvn,
    reportData: hex(report.reportData),
    debug: isSgxDebug(report),
    fmspc: fmspc.toLowerCase(),
  };
}

export function tdxClaims(report: TdReportBody10, fmspc: string, region?: Uint8Array): TdxClaims {
  const hex = hexFieldsOf(region);
  return {
    mrtd: hex(report.mrTd),
    rtmr0: hex(report.rtmr0),
    rtmr1: hex(report.rtmr1),
    rtmr2: hex(report.rtmr2),
    rtmr3: hex(report.rtmr3),
    mrConfigId: hex(report.mrConfigId),
    mrOwner: hex(report.mrOwner),
    mrOwnerConfig: hex(report.mrOwnerConfig),
    reportData: hex(report.reportData),
    teeTcbSvn: hex(report.teeTcbSvn),
    debug: isTdDebug(report),
    fmspc: fmspc.toLowerCase(),
  };
}

export function claimsOf(quote: DcapQuote, fmspc: string): { tee: 'sgx'; claims: SgxClaims } | { tee: 'tdx'; claims: TdxClaims } {
  const b = quote.body;
  // The signed bytes (header || body) hold every claimed field of the body.
  return b.tee === 'sgx' ? { tee: 'sgx', claims: sgxClaims(b.report, fmspc, quote.signedBytes) } : { tee: 'tdx', claims: tdxClaims(b.report, fmspc, quote.signedBytes) };
}
