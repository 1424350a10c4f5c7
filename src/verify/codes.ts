import type { CodeTable } from '../common/errors.js';

/** Codes for the verify entry point itself (input shape, TEE selection). */
export const ENTRY_VERIFY_CODES = {
  TEE_MISMATCH: 'The evidence is of another TEE than the one asked for with --tee / options.tee.',
  TRUST_ROOT_INVALID: 'A trust root passed explicitly is not a parseable self-signed CA certificate.',
  CERTS_INVALID: 'A certificate passed with --certs / options.certs cannot be parsed.',
} as const satisfies CodeTable;

/** Validate step: the evidence is authentic but does not meet policy. */
export const POLICY_CODES = {
  DEBUG_NOT_ALLOWED: 'The enclave / TD / VM is debuggable and debug was not allowed.',
  TCB_STATUS_NOT_ACCEPTED: 'The TCB status is not in the accepted list.',
  TCB_BELOW_MINIMUM: 'The TCB is below the configured minimum.',
  VMPL_NOT_ALLOWED: 'The report was produced at a VMPL that is not allowed.',
  REPORT_DATA_MISMATCH: 'The report data does not match the expected value.',
  MEASUREMENT_MISMATCH: 'A measurement differs from every allowed reference value.',
  HOST_DATA_MISMATCH: 'The SEV-SNP HOST_DATA differs from the expected value.',
  PRODUCT_NOT_ALLOWED: 'The SEV-SNP product line (Milan, Genoa, Turin) is not in the allowed list.',
} as const satisfies CodeTable;
