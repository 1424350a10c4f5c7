/** Public API of governance: users and roles, authorization, proposals and approvals, signed requests (docs/governance.md). */
export { GOVERNANCE_CODES, type GovernanceCode } from './codes.js';
export { GovernanceError } from './errors.js';
export { ACTIONS, APPROVE_RESOURCES, SCOPED_ACTIONS, resourceMatches, type Action } from './actions.js';
export {
  approversFor,
  governanceIssues,
  governanceManifestShape,
  governanceOf,
  governanceSchema,
  governanceShape,
  parseGovernance,
  type GovernanceInput,
  type GovernanceIssue,
  type GovernanceModel,
} from './schema.js';
export { checkUserKey, keyFromPem, signAsUser, verifyUserSignature } from './keys.js';
export { authorize, requireAuthorized, type Decision, type Principal } from './authorize.js';
export { PROPOSAL_LABEL, checkProposalCurrent, proposalHash, proposalHashOf, type Proposal } from './proposal.js';
export { classifyChange, requiredApprovals, type ChangeKind } from './change.js';
export { APPROVAL_LABEL, approvalMessage, signApproval, tally, verifyApproval, type Approval, type Tally } from './approval.js';
export {
  MAX_SKEW_LIMIT_MS,
  SIGNED_REQUEST_HEADER,
  SIGNED_REQUEST_LABEL,
  decodeSignedRequestHeader,
  encodeSignedRequestHeader,
  signRequest,
  verifySignedRequest,
  type RequestToSign,
  type SignedRequestAuth,
  type VerifySignedRequestContext,
} from './signed_request.js';
