import { TeeError } from './errors.js';

/** Report data is 64 bytes in SGX, TDX, SEV-SNP and the simulated TEE alike. */
export const REPORT_DATA_SIZE = 64;

/**
 * Every provider takes exactly 64 bytes: padding or truncating here (as some verifiers do)
 * would hide binding bugs in the caller.
 */
export function checkReportData(reportData: Uint8Array): void {
  if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_SIZE) {
    const got = reportData instanceof Uint8Array ? `${reportData.length} bytes` : typeof reportData;
    throw new TeeError('TEE_REPORT_DATA_INVALID', `report data is ${got}, want ${REPORT_DATA_SIZE} bytes`);
  }
}
