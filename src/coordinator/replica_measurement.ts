import { DEFAULT_ACCEPTED_STATUSES, validateAcceptance, type TcbStatus } from '../verify/index.js';
import { CoordinatorError } from './codes.js';
import type { WorkloadClaims } from './package_match.js';

/**
 * What makes two coordinator replicas "the same code", per TEE. A replica hands the data key
 * only to a requester whose evidence shows exactly its own measurement.
 *
 * - simulated: the measurement of the coordinator tree (`cloister measure`).
 * - sgx: MRENCLAVE. Not MRSIGNER: any enclave the same key signed (older versions included)
 *   would otherwise qualify.
 * - tdx: MRTD | RTMR0 | RTMR1 | RTMR2 | MRCONFIGID (fixed-length hex, concatenated). RTMR3 is
 *   left out on purpose: it is extended at run time (e.g. per container event) and differs
 *   between otherwise identical replicas; MRCONFIGID carries the CoCo init data / policy digest.
 * - snp: MEASUREMENT | HOST_DATA. The launch measurement alone only covers firmware, kernel and
 *   command line, which every pod of one CoCo runtime class shares; HOST_DATA binds the pod policy.
 */
export type ReplicaTee = WorkloadClaims['tee'];

export interface ReplicaMeasurement {
  readonly tee: ReplicaTee;
  /** lowercase hex, as composed above */
  readonly measurement: string;
}

export function replicaMeasurementOf(v: WorkloadClaims): ReplicaMeasurement {
  switch (v.tee) {
    case 'simulated':
      return { tee: v.tee, measurement: v.claims.measurement };
    case 'sgx':
      return { tee: v.tee, measurement: v.claims.mrenclave };
    case 'tdx': {
      const c = v.claims;
      return { tee: v.tee, measurement: `${c.mrtd}${c.rtmr0}${c.rtmr1}${c.rtmr2}${c.mrConfigId}` };
    }
    case 'snp':
      return { tee: v.tee, measurement: `${v.claims.measurement}${v.claims.hostData}` };
  }
}

/**
 * The acceptance a replica applies to hardware evidence beyond authenticity: never a debuggable
 * enclave / TD / VM (its host can read the key out), and only accepted TCB statuses. Simulated
 * evidence has neither; the workload verifier accepts it only in simulation mode.
 */
export function checkReplicaAcceptance(v: WorkloadClaims, accept: readonly TcbStatus[] = DEFAULT_ACCEPTED_STATUSES): void {
  if (v.tee === 'simulated') return;
  try {
    validateAcceptance({ ...v, advisoryIds: [], warnings: [] }, { accept, allowDebug: false });
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new CoordinatorError('REPLICA_EVIDENCE_INVALID', `replica evidence not acceptable: ${(cause as Error).message}`, {
      cause,
      detail: { reason: code },
    });
  }
}

/** Throws REPLICA_MEASUREMENT_MISMATCH unless `got` is exactly `want` (TEE and measurement). */
export function checkReplicaMeasurement(got: ReplicaMeasurement, want: ReplicaMeasurement): void {
  if (got.tee !== want.tee || got.measurement !== want.measurement.toLowerCase()) {
    throw new CoordinatorError(
      'REPLICA_MEASUREMENT_MISMATCH',
      `replica evidence: got ${got.tee} measurement ${got.measurement}, want ${want.tee} measurement ${want.measurement.toLowerCase()} (this replica's own)`,
      { detail: { got, want } },
    );
  }
}
