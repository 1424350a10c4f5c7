/** Simulated-TEE evidence: the shared format and its verifier. */
export { SIM_VERIFY_CODES, SIMULATION_NOT_ALLOWED, type SimVerifyCode } from './codes.js';
export {
  SIM_EVIDENCE_MAGIC,
  SIM_EVIDENCE_VERSION,
  SIM_MEASUREMENT_SIZE,
  SIM_REPORT_DATA_SIZE,
  SIM_SIGNATURE_SIZE,
  SIM_SIGNING_LABEL,
  encodeSimulatedEvidenceBody,
  looksLikeSimulatedEvidence,
  parseSimulatedEvidence,
  serializeSimulatedEvidence,
  simulatedSignedMessage,
  type SimulatedEvidence,
} from './format.js';
export {
  createSimulatedVerifier,
  platformKeyFingerprint,
  verifySimulatedEvidence,
  type SimulatedClaims,
  type VerifiedSimulatedEvidence,
  type VerifySimulatedOptions,
} from './verify.js';
