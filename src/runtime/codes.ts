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
} as const satisfies CodeTable;

export type ClientCode = keyof typeof CLIENT_CODES;
