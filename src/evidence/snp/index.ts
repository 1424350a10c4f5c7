export { parseSnpReport, looksLikeSnpReport } from './report.js';
export { serializeSnpReport } from './serialize.js';
export { parseHclReport, looksLikeHclReport, HCL_HEADER_SIZE } from './hcl.js';
export type { HclReport, HclHashType } from './hcl.js';
export { describeSnpReport } from './describe.js';
export { decodeTcb, encodeTcb, u64Hex } from './tcb.js';
export { REPORT_SIZE, SIGNATURE_OFFSET, SIG_COMPONENT_SIZE } from './layout.js';
export type { SnpReport, SnpProductName, SnpTcbParts, SnpSigningKey, SnpFirmwareVersion } from './types.js';
