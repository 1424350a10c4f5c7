import { CoordinatorError } from './codes.js';
import type { Coordinator } from './coordinator.js';

/**
 * The coordinator while its sealed state cannot be opened (new host, lost sealing key): it
 * answers status with `recovery` and the reason, refuses everything else with
 * COORDINATOR_IN_RECOVERY, and never touches the sealed state. The recovery flow itself
 * (quorum of recovery-key holders, docs/api.md POST /api/v1/recover) builds on this.
 */
export function recoveryCoordinator(o: { reason: string; simulation: boolean; version: string; rootCaPem: string | undefined }): CoordinatorApi {
  const refuse = (): never => {
    throw new CoordinatorError('COORDINATOR_IN_RECOVERY', `the coordinator is in recovery: ${o.reason}`);
  };
  return {
    root: o.rootCaPem === undefined ? undefined : { certPem: o.rootCaPem, spkiDer: new Uint8Array(0) },
    state: () => 'recovery',
    status: () => ({ state: 'recovery', manifestHash: null, simulation: o.simulation, version: o.version, recoveryReason: o.reason }),
    manifest: refuse,
    setManifest: async () => refuse(),
    issueNonce: refuse,
    activate: async () => refuse(),
    deactivate: async () => refuse(),
    volume: async () => refuse(),
    advanceVolume: async () => refuse(),
    crl: async () => refuse(),
    attestation: async () => refuse(),
  };
}

/** What the HTTP layer needs of a coordinator (normal or in recovery). */
export type CoordinatorApi = Omit<Coordinator, 'root' | 'ca' | 'status'> & {
  readonly root: Coordinator['root'] | undefined;
  status(): ReturnType<Coordinator['status']> & { recoveryReason?: string };
};
