import type { CodeTable } from '../../common/errors.js';

/** Stable codes for SEV-SNP verification. Never rename; add new codes at the end. */
export const SNP_VERIFY_CODES = {
  VEK_MISSING: 'No VCEK or VLEK certificate was supplied for the report.',
  VEK_CHAIN_INVALID: 'The VCEK/VLEK -> ASK/ASVK -> ARK chain is malformed or badly signed.',
  VEK_CERT_EXPIRED: 'A certificate of the AMD chain is outside its validity window at the verification time.',
  ARK_NOT_TRUSTED: 'The chain does not end at a pinned AMD root key (ARK) for the product.',
  REPORT_SIGNATURE_INVALID: 'The report is not signed by the VCEK/VLEK key (ECDSA P-384 over bytes 0x000-0x29F).',
  REPORTED_TCB_MISMATCH: 'The reported TCB in the report differs from the TCB in the VCEK/VLEK extensions.',
  CHIP_ID_MISMATCH: 'The report chip ID differs from the VCEK hwID extension.',
  SIGNING_KEY_MISMATCH: 'The report says it is signed by a VCEK but a VLEK was supplied, or the reverse.',
  SNP_CRL_INVALID: 'The AMD CRL is malformed, expired or not signed by the ARK.',
  SNP_CERT_REVOKED: 'The ASK/ASVK or VEK is revoked by the AMD CRL.',
  HCL_RUNTIME_DATA_MISMATCH: 'report_data[0:32] is not SHA-256 of the HCL runtime data.',
  VEK_EXTENSIONS_INVALID: 'The VCEK/VLEK lacks a required AMD extension (TCB SPLs, hwID) or one is malformed.',
  SNP_PRODUCT_UNKNOWN: 'The product line (Milan, Genoa, Turin) cannot be told from the VCEK/VLEK, or its names disagree.',
  REPORT_NOT_SIGNED: 'The report says it is not signed (SIGNING_KEY 7), so it cannot be verified.',
} as const satisfies CodeTable;
