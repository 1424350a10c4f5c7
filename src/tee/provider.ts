import { createSimulatedEvidence, measurementBytes } from './simulated/evidence.js';
import { loadOrCreatePlatform, type SimulatedPlatform } from './simulated/platform.js';

/** What produced the evidence (how the verifier should read it). */
export type EvidenceTee = 'simulated' | 'sgx' | 'tdx' | 'snp';

export interface Evidence {
  readonly tee: EvidenceTee;
  /** simulated evidence, a DCAP quote (SGX/TDX) or an SEV-SNP report */
  readonly evidence: Uint8Array;
  /** extra certificate material the TEE returned (configfs-tsm auxblob: the SEV-SNP certificate table) */
  readonly certs?: Uint8Array;
}

/** One interface for every way a workload gets evidence bound to 64 bytes of its choosing. */
export interface EvidenceProvider {
  readonly kind: 'simulated' | 'gramine' | 'tsm';
  /** reportData must be exactly 64 bytes (TEE_REPORT_DATA_INVALID otherwise). */
  getEvidence(reportData: Uint8Array): Promise<Evidence>;
}

export interface SimulatedProviderOptions {
  /** platform directory; default $CLOISTER_SIM_PLATFORM_DIR or ~/.cloister/sim-platform */
  readonly platformDir?: string;
  /** an already loaded platform (wins over platformDir) */
  readonly platform?: SimulatedPlatform;
  /** the program's measurement: `cloister measure` output (hex) or bytes */
  readonly measurement: string | Uint8Array;
}

/**
 * The simulated TEE: evidence signed by the host's simulated platform key over the given
 * measurement. Honest by construction: the evidence format is distinct from every hardware
 * format and verifiers accept it only in explicit simulation mode.
 */
export function simulatedProvider(o: SimulatedProviderOptions): EvidenceProvider {
  const measurement = measurementBytes(o.measurement);
  let platform: Promise<SimulatedPlatform> | undefined = o.platform === undefined ? undefined : Promise.resolve(o.platform);
  const getPlatform = (): Promise<SimulatedPlatform> => {
    if (platform === undefined) {
      // Memoize success only: a failed load (e.g. a permission problem fixed meanwhile) is retried.
      platform = loadOrCreatePlatform(o.platformDir).catch((e: unknown) => {
        platform = undefined;
        throw e;
      });
    }
    return platform;
  };
  return {
    kind: 'simulated',
    async getEvidence(reportData: Uint8Array): Promise<Evidence> {
      const p = await getPlatform();
      return { tee: 'simulated', evidence: createSimulatedEvidence(p, measurement, reportData) };
    },
  };
}
