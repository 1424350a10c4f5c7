import { CloisterError, type CodeTable } from '../common/errors.js';

/** Stable codes of the coordinator's own checks. Never rename; add at the end. */
export const COORDINATOR_CODES = {
  REQUEST_INVALID: 'The request body, query or parameters do not match the API schema.',
  MANIFEST_ALREADY_SET: 'A manifest is already set; it can only be changed through a manifest update.',
  COORDINATOR_UNINITIALIZED: 'No manifest is set yet, so workloads cannot activate.',
  COORDINATOR_IN_RECOVERY: 'The sealed state could not be opened; the coordinator waits for recovery.',
  RECOVERY_NOT_POSSIBLE: 'Recovery was requested but the coordinator is not in recovery or has no recovery keys.',
  WORKLOAD_UNKNOWN: 'The manifest declares no workload of that name.',
  MAX_ACTIVATIONS_REACHED: 'The workload already has its maximum number of activated instances.',
  NONCE_INVALID: 'The activation nonce is unknown, expired or already used (get a fresh one).',
  EVIDENCE_TEE_NOT_ALLOWED: "The evidence's TEE does not match the workload package's TEE.",
  INSTANCE_UNKNOWN: 'No activated instance with that id exists for the workload.',
  INSTANCE_NOT_AUTHENTICATED: 'The request needs the client certificate of that instance (mTLS).',
  RATE_LIMITED: 'Too many requests from this client; retry after the given time.',
  STATE_CONCURRENT_UPDATE: 'The state changed while the request was processed; retry.',
  SECRET_UNKNOWN: 'The manifest declares no secret of that name.',
  SECRET_NOT_SET: 'A user-supplied secret that the workload needs has not been set yet.',
  REQUEST_TOO_LARGE: 'The request body exceeds the 1 MiB limit.',
  NOT_FOUND: 'No API route matches the method and path.',
  COORDINATOR_LISTEN_FAILED: 'The coordinator cannot listen on the given address (in use, not permitted, or no such local address).',
  VOLUME_UNKNOWN: "The manifest does not declare that protected volume for the instance's workload.",
  VOLUME_VERSION_CONFLICT: 'The protected volume is not at the expected version, or the next version does not increase it.',
} as const satisfies CodeTable;
export type CoordinatorCode = keyof typeof COORDINATOR_CODES;

export class CoordinatorError extends CloisterError<CoordinatorCode> {}
