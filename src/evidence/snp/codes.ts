import type { CodeTable } from '../../common/errors.js';

/** Stable codes for SEV-SNP report (and Azure HCL report) parsing. Never rename. */
export const SNP_EVIDENCE_CODES = {
  REPORT_TRUNCATED: 'The SEV-SNP report is shorter than 1184 bytes.',
  REPORT_TRAILING_DATA: 'Bytes follow the 1184-byte SEV-SNP report.',
  REPORT_VERSION_UNSUPPORTED: 'The report version is not 2, 3 or 5.',
  REPORT_RESERVED_NONZERO: 'A reserved (must-be-zero) range of the report is not zero.',
  REPORT_SIGNATURE_ALGO_UNSUPPORTED: 'The signature algorithm is not 1 (ECDSA P-384 with SHA-384).',
  HCL_REPORT_MALFORMED: 'The Azure HCL report wrapper is malformed (header, sizes or runtime data).',
  REPORT_FIELD_INVALID: 'A field given to serializeSnpReport has the wrong size or an unsupported value.',
} as const satisfies CodeTable;
