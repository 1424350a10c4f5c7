/** The verify layer's public API (the only path other layers import). */
export { verifyEvidence, createVerifier, detectEvidence, errorView, type VerifyEvidenceOptions } from './entry.js';
export { validateAcceptance, parseAcceptList, type AcceptancePolicy } from './policy.js';
export { issueToken, verifyToken, exportJwks, generateTokenKey, earClaims, EAR_PROFILE, TOKEN_CODES, TokenError, type EarClaims } from './token.js';
export { activationReportData, coordinatorReportData, checkReportData, framedDigest, ACTIVATION_LABEL, COORDINATOR_LABEL } from './binding.js';
export { VerifyError, PolicyError, VERIFY_CODES, POLICY_CODES, type VerifyCode, type PolicyCode } from './errors.js';
export { TCB_STATUSES, DEFAULT_ACCEPTED_STATUSES } from './types.js';
export type {
  Tee, TcbStatus, SgxClaims, TdxClaims, SnpClaims, SnpTcb, SnpProduct, VerifiedEvidence, VerificationResult, ErrorView,
} from './types.js';
export { validateSnp, verifySnpReport, verifyHclReport, pinnedAmdRoots, type SnpExpectations } from './snp/index.js';
export {
  createSimulatedVerifier,
  verifySimulatedEvidence,
  platformKeyFingerprint,
  looksLikeSimulatedEvidence,
  SIMULATION_NOT_ALLOWED,
  SIM_VERIFY_CODES,
  type SimulatedClaims,
  type VerifiedSimulatedEvidence,
} from './sim/index.js';
