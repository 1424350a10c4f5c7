import type { CodeTable } from '../../common/errors.js';

/**
 * Codes of the in-workload launcher (`cloister run`, src/runtime/launch). Each names the step
 * that failed; `detail.reason` carries the underlying code (the coordinator's, the client's or
 * the TEE provider's) where there is one.
 */
export const LAUNCH_CODES = {
  LAUNCH_CONFIG_INVALID: 'A cloister run option or its CLOISTER_* environment variable is missing or malformed.',
  LAUNCH_COMMAND_NOT_FOUND: 'The program to run does not exist (as a path) or is not on PATH.',
  LAUNCH_COMMAND_NOT_EXECUTABLE: 'The program to run is not a regular file with an execute permission bit.',
  LAUNCH_MEASUREMENT_FAILED: 'The program could not be measured for the simulated TEE (unreadable file or unsupported file type).',
  LAUNCH_EVIDENCE_UNAVAILABLE: 'No evidence could be produced: no TEE detected, a device file is missing, or the simulated platform key is unusable.',
  LAUNCH_COORDINATOR_NOT_TRUSTED: "The coordinator failed attestation: unreachable, evidence invalid, simulated without --simulation, or not the pinned manifest hash.",
  LAUNCH_COORDINATOR_NOT_READY: 'The attested coordinator has no manifest yet, so no workload can activate.',
  LAUNCH_ACTIVATION_REFUSED: "The coordinator refused the activation (e.g. MEASUREMENT_MISMATCH, WORKLOAD_UNKNOWN); detail.reason is its code.",
  LAUNCH_ACTIVATION_FAILED: 'The activation did not complete: transport failure, or an answer that failed the checks of the client library.',
  LAUNCH_FILES_UNWRITABLE: 'A file the manifest gives the workload could not be written atomically with owner-only permissions.',
  LAUNCH_INTERRUPTED: 'SIGTERM, SIGINT or SIGHUP arrived before the program started; the program was not started.',
  LAUNCH_RENEWAL_FAILED: 'Renewing the instance certificate failed; the launcher logs it and retries while the program keeps running.',
  LAUNCH_COORDINATOR_CHANGED: 'After a manifest update the coordinator attests another root CA than at launch; the launcher does not re-activate against it.',
} as const satisfies CodeTable;

export type LaunchCode = keyof typeof LAUNCH_CODES;
