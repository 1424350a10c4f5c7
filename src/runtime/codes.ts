import type { CodeTable } from '../common/errors.js';

/** Codes of the coordinator client (src/runtime): attesting the coordinator, activation, the CA store. */
export const CLIENT_CODES = {
  COORDINATOR_URL_INVALID: "The coordinator URL is not an https:// URL with a host (e.g. https://127.0.0.1:4433).",
  COORDINATOR_UNREACHABLE: 'The coordinator could not be reached: connection refused or reset, DNS failure, or timeout.',
  COORDINATOR_REJECTED: "The coordinator answered with an error (RFC 7807 problem); detail.code is the coordinator's own code.",
  COORDINATOR_RESPONSE_INVALID: 'A coordinator response is not JSON or does not match the API schema of docs/api.md.',
  COORDINATOR_ATTESTATION_INVALID: "The coordinator's evidence does not verify; detail.reason is the verifier's code.",
  COORDINATOR_REPORT_DATA_MISMATCH: "The coordinator's evidence does not commit to the returned root CA, manifest hash and our nonce.",
  COORDINATOR_ROOT_CA_INVALID: 'The attested root CA is not a self-signed CA certificate valid now.',
  COORDINATOR_TLS_MISMATCH: 'The TLS certificate of the connection does not chain to the attested (or pinned) coordinator root CA.',
  SIMULATED_COORDINATOR_NOT_ALLOWED: 'The coordinator runs a simulated TEE (or in simulation mode) and the client did not pass --simulation.',
  TRUSTED_PLATFORM_KEY_MISSING: 'Simulation was allowed, but no trusted simulated platform key was given or found in the platform directory.',
  MANIFEST_HASH_MISMATCH: 'The manifest hash the coordinator attests (or returns) differs from the expected one.',
  ACTIVATION_KEY_MISMATCH: "The certificate returned by activation is not for the key pair this instance generated.",
  ACTIVATION_CHAIN_INVALID: 'The certificate returned by activation does not chain to the pinned coordinator root CA or is not valid now.',
  ACTIVATION_RESPONSE_MISMATCH: 'The activation response names another workload or instance than the one requested.',
  CA_STORE_UNUSABLE: 'The saved coordinator root CA cannot be written or read (~/.cloister or $CLOISTER_HOME).',
  USER_KEY_INVALID: 'The user private key (--key) is not a PEM private key of a supported type (ECDSA P-256/P-384/P-521, Ed25519, RSA >= 2048 bits).',
  USER_CERT_INVALID: 'The user certificate (--cert) is not one PEM certificate, is not valid now, or is not for the --key private key.',
  PROPOSAL_INCONSISTENT: 'A proposal from the coordinator does not match its manifest text or hashes (proposal hash, manifest hash, previous manifest hash).',
  AUDIT_LOG_INVALID: "The coordinator's audit log does not verify under the attested root CA key; detail.reason is the audit code, detail.seq the first bad entry.",
  AUDIT_LOG_TRUNCATED: 'The audit log the coordinator serves ends before the audit head its attestation binds.',
  AUDIT_ATTESTED_HEAD_MISMATCH: 'The audit entry at the attested head seq hashes to another value than the attestation binds: the log was rewritten.',
  AUDIT_HEAD_NOT_ATTESTED: "The coordinator's attestation binds no audit head (an older coordinator), so its audit log cannot be checked against it.",
  RECOVERY_ENVELOPE_NOT_FOUND: 'The coordinator lists no encrypted recovery share for this recovery key (its fingerprint is not among the envelopes).',
} as const satisfies CodeTable;

export type ClientCode = keyof typeof CLIENT_CODES;
