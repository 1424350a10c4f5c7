/**
 * Cloister's public library API: named re-exports only; layers' internals stay private.
 */
export { CloisterError, isCloisterError } from './common/errors.js';
export { EvidenceError } from './evidence/errors.js';
export {
  verifyEvidence,
  createVerifier,
  detectEvidence,
  issueToken,
  verifyToken,
  exportJwks,
  generateTokenKey,
  activationReportData,
  coordinatorReportData,
  VerifyError,
  PolicyError,
  TokenError,
  EAR_PROFILE,
  TCB_STATUSES,
  DEFAULT_ACCEPTED_STATUSES,
  type VerifyEvidenceOptions,
  type EarClaims,
} from './verify/index.js';
export type * from './verify/types.js';
export { parseDcapQuote, serializeDcapQuote } from './evidence/dcap/index.js';
export { parseSnpReport, serializeSnpReport, parseHclReport } from './evidence/snp/index.js';
export { parseManifest, manifestHash, ManifestError, type Manifest } from './manifest/index.js';
export { measurePath, simulatedProvider, gramineProvider, tsmProvider, detectProvider, type EvidenceProvider } from './tee/index.js';
export { openProtectedVolume, memoryVersionAuthority, fileVersionAuthority, ProtectError, type ProtectedVolume, type VersionAuthority } from './protect/index.js';
export { startCoordinator, type StartOptions, type RunningCoordinator } from './coordinator/index.js';
export { attestCoordinator, activate, deactivate, coordinatorVersionAuthority, ClientError } from './runtime/index.js';
