import type { Layout } from './layout.js';
import type { EnclaveReportBody, TdReportBody10, TdReportBody15 } from './types.js';

/**
 * Wire layouts of the three quote bodies. Offsets: Intel "SGX ECDSA Quote Library API"
 * (sgx_report_body_t, 384 B) and "Intel TDX DCAP Quoting Library API" (TD report body
 * 584 B; TDX 1.5 appends TEE_TCB_SVN_2 and MRSERVICETD, 648 B); cross-checked with
 * go-tdx-guest abi/abi.go (TdQuoteBody*Start/End) and dcap-qvl src/quote.rs (EnclaveReport,
 * TDReport10, TDReport15). Flag facts: SGX ATTRIBUTES.FLAGS bit 1 = DEBUG (Intel SDM vol. 3D
 * 38.7.1); TDX TD_ATTRIBUTES bit 0 = DEBUG (Intel TDX module ABI spec, TDREPORT).
 *
 * Reserved fields are kept, not checked for zero: the attestation key (body) or PCK key (QE
 * report) signs them, dcap-qvl src/quote.rs keeps them unchecked too, and keeping them
 * is what lets serialize reproduce the input byte for byte.
 */
export const ENCLAVE_REPORT_LAYOUT = {
  cpuSvn: 16,
  miscSelect: 'u32',
  reserved1: 12,
  isvExtProdId: 16,
  attributes: 16,
  mrEnclave: 32,
  reserved2: 32,
  mrSigner: 32,
  reserved3: 32,
  configId: 64,
  isvProdId: 'u16',
  isvSvn: 'u16',
  configSvn: 'u16',
  reserved4: 42,
  isvFamilyId: 16,
  reportData: 64,
} as const satisfies Layout<EnclaveReportBody>;

export const TD_REPORT10_LAYOUT = {
  teeTcbSvn: 16,
  mrSeam: 48,
  mrSignerSeam: 48,
  seamAttributes: 8,
  tdAttributes: 8,
  xfam: 8,
  mrTd: 48,
  mrConfigId: 48,
  mrOwner: 48,
  mrOwnerConfig: 48,
  rtmr0: 48,
  rtmr1: 48,
  rtmr2: 48,
  rtmr3: 48,
  reportData: 64,
} as const satisfies Layout<TdReportBody10>;

export const TD_REPORT15_LAYOUT = {
  ...TD_REPORT10_LAYOUT,
  teeTcbSvn2: 16,
  mrServiceTd: 48,
} as const satisfies Layout<TdReportBody15>;

export const ENCLAVE_REPORT_SIZE = 384;
export const TD_REPORT10_SIZE = 584;
export const TD_REPORT15_SIZE = 648;

/** v5 body descriptor values (Intel TDX DCAP Quoting Library API, quote v5 "Type"). */
export const BODY_TYPE_SGX = 1;
export const BODY_TYPE_TD10 = 2;
export const BODY_TYPE_TD15 = 3;

/** Body size per v5 body type. */
export const BODY_SIZES: Readonly<Record<1 | 2 | 3, number>> = {
  1: ENCLAVE_REPORT_SIZE,
  2: TD_REPORT10_SIZE,
  3: TD_REPORT15_SIZE,
};

/** SGX ATTRIBUTES.FLAGS bit 1 (DEBUG) lives in the first (least significant) byte. */
export function isSgxDebug(report: Pick<EnclaveReportBody, 'attributes'>): boolean {
  return ((report.attributes[0] ?? 0) & 0x02) !== 0;
}

/** TD_ATTRIBUTES bit 0 (DEBUG), little-endian u64: the first byte. */
export function isTdDebug(report: Pick<TdReportBody10, 'tdAttributes'>): boolean {
  return ((report.tdAttributes[0] ?? 0) & 0x01) !== 0;
}
