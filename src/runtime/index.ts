/** The coordinator client: attest the coordinator, activate/deactivate instances, keep verified roots. */
export { CLIENT_CODES, type ClientCode } from './codes.js';
export { ClientError } from './errors.js';
export { request, parseCoordinatorUrl, endpoint, type HttpMethod, type JsonResponse, type RequestOptions } from './https.js';
export { attestCoordinator, NONCE_SIZE, type AttestCoordinatorOptions, type AttestedCoordinator } from './attest_coordinator.js';
export { activate, deactivate, type Activation, type ActivateOptions, type DeactivateOptions } from './activate.js';
export { createInstanceKey, type InstanceKey } from './csr.js';
export { chainProblem, rootProblem } from './cert_chain.js';
export {
  cloisterHome,
  coordinatorCaPath,
  loadCoordinatorRoot,
  saveCoordinatorRoot,
  writeFileAtomic,
  CLOISTER_HOME_ENV,
  ROOT_CA_FILE,
} from './ca_store.js';
export {
  manifestGetResponseSchema,
  manifestSetResponseSchema,
  parseResponse,
  statusResponseSchema,
  type ActivateResponse,
  type AttestationResponse,
  type StatusResponse,
} from './responses.js';
export { coordinatorVersionAuthority, type CoordinatorAuthorityOptions, type InstanceCredentials } from './volume_authority.js';
export { USER_CERT_LIFETIME_MS, loadUserIdentity, loadUserKey, selfSignedUserCertificate, signedRequestHeader, type LoadUserIdentityOptions, type UserIdentity } from './user_identity.js';
export { AUDIT_PAGE_SIZE, governanceClient, type AuditPage, type GovernanceClient, type GovernanceClientOptions, type UserAuth } from './governance_client.js';
export type { ApprovalResult, HistoryEntry, ProposalView, ProposalWithManifest, RecoverResult, RecoveryStatus } from './governance_responses.js';
export { checkAuditLog, checkAuditPage, type AuditCheckResult } from './audit_check.js';
