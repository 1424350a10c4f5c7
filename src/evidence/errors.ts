import { CloisterError } from '../common/errors.js';
import { DCAP_EVIDENCE_CODES } from './dcap/codes.js';
import { SNP_EVIDENCE_CODES } from './snp/codes.js';

/** Parsing failed: the bytes are not well-formed evidence. Says nothing about trust. */
export const EVIDENCE_CODES = {
  EVIDENCE_FORMAT_UNKNOWN: 'The bytes are neither a DCAP quote nor an SEV-SNP (or Azure HCL) report.',
  ...DCAP_EVIDENCE_CODES,
  ...SNP_EVIDENCE_CODES,
} as const;
export type EvidenceCode = keyof typeof EVIDENCE_CODES;

export class EvidenceError extends CloisterError<EvidenceCode> {}
