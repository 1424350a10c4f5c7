import type { CodeTable } from '../../common/errors.js';

/** Verification of simulated-TEE evidence (src/verify/sim). */
export const SIM_VERIFY_CODES = {
  SIM_EVIDENCE_MALFORMED: 'Simulated evidence has a wrong magic, version, reserved field, length or platform key encoding.',
  SIM_SIGNATURE_INVALID: 'The simulated evidence signature does not verify under the platform key it names.',
  SIM_PLATFORM_UNTRUSTED: 'Simulated evidence is signed by a platform key that is not among the trusted platform keys.',
  SIM_TRUSTED_KEY_INVALID: 'A trusted simulated-platform key passed by the caller is not an ECDSA P-384 public key.',
  SIMULATION_NOT_ALLOWED: 'Simulated evidence was presented to a coordinator or client that does not run in --simulation mode.',
} as const satisfies CodeTable;

export type SimVerifyCode = keyof typeof SIM_VERIFY_CODES;

/** The code the coordinator (and clients) use to refuse simulated evidence outside simulation mode. */
export const SIMULATION_NOT_ALLOWED = 'SIMULATION_NOT_ALLOWED' satisfies SimVerifyCode;
