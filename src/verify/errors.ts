import { CloisterError } from '../common/errors.js';
import { ENTRY_VERIFY_CODES, POLICY_CODES } from './codes.js';
import { DCAP_VERIFY_CODES } from './dcap/codes.js';
import { SNP_VERIFY_CODES } from './snp/codes.js';
import { SIM_VERIFY_CODES } from './sim/codes.js';

export const VERIFY_CODES = { ...ENTRY_VERIFY_CODES, ...DCAP_VERIFY_CODES, ...SNP_VERIFY_CODES, ...SIM_VERIFY_CODES } as const;
export type VerifyCode = keyof typeof VERIFY_CODES;
export type PolicyCode = keyof typeof POLICY_CODES;
export { POLICY_CODES };

/** A signature, chain, binding or collateral check failed: the evidence is not authentic. */
export class VerifyError extends CloisterError<VerifyCode> {}

/** The evidence is authentic but does not meet policy; `detail.failures` lists every mismatch. */
export class PolicyError extends CloisterError<PolicyCode> {}
