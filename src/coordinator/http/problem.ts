import { CloisterError } from '../../common/errors.js';

/**
 * RFC 7807 problem details with Cloister's stable `code`. The one table from error codes to
 * HTTP statuses; anything not listed maps by error class (evidence problems are 400,
 * verification and policy failures 403), unknown errors are 500 without details.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  REQUEST_INVALID: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_ALREADY_SET: 409,
  COORDINATOR_UNINITIALIZED: 409,
  COORDINATOR_IN_RECOVERY: 503,
  RECOVERY_NOT_POSSIBLE: 409,
  WORKLOAD_UNKNOWN: 404,
  INSTANCE_UNKNOWN: 404,
  SECRET_UNKNOWN: 404,
  SECRET_NOT_SET: 409,
  MAX_ACTIVATIONS_REACHED: 409,
  NONCE_INVALID: 403,
  INSTANCE_NOT_AUTHENTICATED: 401,
  RATE_LIMITED: 429,
  STATE_CONCURRENT_UPDATE: 409,
  VOLUME_UNKNOWN: 404,
  VOLUME_VERSION_CONFLICT: 409,
  RECOVERY_NOT_CONFIGURED: 404,
  RECOVERY_STATE_INVALID: 500,
  RECOVERY_STATE_MISMATCH: 409,
  RECOVERY_SESSION_COMPLETE: 409,
  AUTH_REQUIRED: 401,
  AUTH_CERT_EXPIRED: 401,
  AUTH_CERT_REVOKED: 401,
  GOVERNANCE_USER_UNKNOWN: 401,
  GOVERNANCE_REQUEST_MALFORMED: 401,
  GOVERNANCE_REQUEST_SKEW: 401,
  GOVERNANCE_REQUEST_REPLAYED: 401,
  GOVERNANCE_REQUEST_SIGNATURE_INVALID: 401,
  GOVERNANCE_CERTIFICATE_EXPIRED: 401,
  GOVERNANCE_NOT_AUTHORIZED: 403,
  GOVERNANCE_PROPOSAL_STALE: 409,
  GOVERNANCE_PROPOSAL_EMPTY: 409,
  GOVERNANCE_APPROVAL_MALFORMED: 400,
  GOVERNANCE_APPROVAL_SIGNATURE_INVALID: 400,
  PROPOSAL_UNKNOWN: 404,
  PROPOSAL_NOT_OPEN: 409,
  AUDIT_APPEND_CONTENDED: 503,
  AUDIT_APPENDER_CLOSED: 503,
  // the store is unreachable or lost quorum: this replica fails closed, a client retries elsewhere
  STORE_ETCD_UNAVAILABLE: 503,
  STORE_ETCD_TIMEOUT: 503,
  STORE_ETCD_COMMIT_UNKNOWN: 503,
  STORE_CLOSED: 503,
  STORE_IO_FAILED: 503,
  REPLICA_EVIDENCE_INVALID: 403,
  REPLICA_MEASUREMENT_MISMATCH: 403,
  REPLICA_BINDING_MISMATCH: 403,
  REPLICA_KEY_UNAVAILABLE: 503,
  STORE_UNREACHABLE: 503,
};

const STATUS_BY_CLASS: Readonly<Record<string, number>> = {
  EvidenceError: 400,
  VerifyError: 403,
  PolicyError: 403,
  ManifestError: 400,
  TemplateError: 400,
  CaError: 400,
  StoreError: 500,
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly simulation?: true;
}

export function problemFor(e: unknown, o: { simulation: boolean }): Problem {
  const sim = o.simulation ? { simulation: true as const } : {};
  if (e instanceof CloisterError) {
    const status = STATUS_BY_CODE[e.code] ?? STATUS_BY_CLASS[e.name] ?? 400;
    return {
      type: `https://cloister.dev/errors#${e.code}`,
      title: e.code,
      status,
      code: e.code,
      detail: e.message,
      ...(e.detail === undefined ? {} : { details: e.detail }),
      ...sim,
    };
  }
  return { type: 'about:blank', title: 'INTERNAL_ERROR', status: 500, code: 'INTERNAL_ERROR', detail: 'internal error (see the coordinator log)', ...sim };
}
