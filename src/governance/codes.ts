import type { CodeTable } from '../common/errors.js';

/** Stable codes of governance: users and roles, proposals, approvals, signed requests. Never rename; add new codes at the end. */
export const GOVERNANCE_CODES = {
  GOVERNANCE_INVALID: 'The users/roles/approvals/recovery section breaks its schema or cross-references; detail.issues lists every problem with its path.',
  GOVERNANCE_USER_UNKNOWN: 'A user named in an approval or signed request is not declared in the manifest.',
  GOVERNANCE_CERTIFICATE_EXPIRED: "A user's certificate in the manifest is not yet valid or has expired at the time of the check.",
  GOVERNANCE_KEY_UNSUPPORTED: 'A user key is not ECDSA (P-256/P-384/P-521), Ed25519 or RSA of at least 2048 bits.',
  GOVERNANCE_NOT_AUTHORIZED: 'The principal has no role that grants the action on the resource (detail.reason says why).',
  GOVERNANCE_PROPOSAL_STALE: 'A proposal replaces a manifest hash that is no longer the current manifest.',
  GOVERNANCE_PROPOSAL_EMPTY: 'A proposal would replace the manifest with an identical one.',
  GOVERNANCE_APPROVAL_MALFORMED: 'An approval or proposal hash is not lowercase hex of the right length.',
  GOVERNANCE_APPROVAL_SIGNATURE_INVALID: "An approval signature does not verify under the approving user's key over the proposal hash.",
  GOVERNANCE_REQUEST_MALFORMED: 'A signed-request header is not base64url JSON with exactly user, time, nonce and signature in the right syntax.',
  GOVERNANCE_REQUEST_SKEW: 'A signed request was made further from the coordinator clock than the allowed skew.',
  GOVERNANCE_REQUEST_REPLAYED: 'A signed request reuses a nonce already seen for that user within the skew window.',
  GOVERNANCE_REQUEST_SIGNATURE_INVALID: "A signed request's signature does not verify under the user's key over method, path, body hash, time and nonce.",
} as const satisfies CodeTable;

export type GovernanceCode = keyof typeof GOVERNANCE_CODES;
