import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { WorkloadClaims } from './package_match.js';
import { CoordinatorError } from './codes.js';
import { createSimulatedVerifier, createVerifier, VerifyError, SIMULATION_NOT_ALLOWED, type Tee } from '../verify/index.js';

export interface WorkloadEvidence {
  readonly tee: Tee | 'simulated';
  readonly data: Uint8Array;
  readonly certs: readonly Uint8Array[];
}

/** Gathers DCAP collateral for a quote (async I/O: PCS/PCCS or a bundle), before pure verification. */
export type DcapCollateralSource = (quote: Uint8Array) => Promise<string | object>;

export interface WorkloadVerifier {
  verify(e: WorkloadEvidence, now: Date): Promise<WorkloadClaims>;
}

/**
 * Verifies workload evidence for the coordinator: authenticity only; the manifest package
 * decides policy (debug, TCB status, measurements). Simulated evidence is accepted only when
 * the coordinator runs in simulation mode, and only from trusted simulated platform keys.
 */
export function createWorkloadVerifier(o: {
  simulation: boolean;
  trustedPlatformKeys: readonly KeyObject[];
  dcapCollateral?: DcapCollateralSource;
  trustRoots?: readonly X509Certificate[];
}): WorkloadVerifier {
  const hardware = createVerifier(o.trustRoots === undefined ? {} : { trustRoots: o.trustRoots });
  const simulated = o.simulation && o.trustedPlatformKeys.length > 0 ? createSimulatedVerifier({ trustedPlatformKeys: o.trustedPlatformKeys }) : undefined;
  return {
    async verify(e, now) {
      if (e.tee === 'simulated') {
        if (simulated === undefined) {
          throw new VerifyError(SIMULATION_NOT_ALLOWED, 'simulated evidence is accepted only by a coordinator started with --simulation');
        }
        return { tee: 'simulated', claims: (await simulated.verifyAsync(e.data)).claims };
      }
      const collateral = e.tee === 'sgx' || e.tee === 'tdx' ? await o.dcapCollateral?.(e.data) : undefined;
      const v = hardware.verifyAuthentic(e.data, {
        tee: e.tee,
        now,
        certs: e.certs,
        ...(collateral === undefined ? {} : { collateral }),
      });
      return v;
    },
  };
}

/** Parses SPKI PEM strings of trusted simulated platform keys. */
export function platformKeysFromPem(pems: readonly string[]): KeyObject[] {
  return pems.map((p) => {
    try {
      return createPublicKey(p);
    } catch (cause) {
      throw new CoordinatorError('REQUEST_INVALID', 'a trusted simulated platform key is not a PEM public key', { cause });
    }
  });
}
