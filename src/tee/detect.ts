import { join } from 'node:path';
import { nodeDeviceFs, type DeviceFs } from './device_fs.js';
import { TeeError } from './errors.js';
import { GRAMINE_ROOT, gramineProvider } from './gramine.js';
import { simulatedProvider, type EvidenceProvider, type SimulatedProviderOptions } from './provider.js';
import { TSM_ROOT, tsmProvider } from './tsm.js';

export interface DetectOptions {
  readonly gramineRoot?: string;
  readonly tsmRoot?: string;
  readonly fs?: DeviceFs;
  /**
   * Fall back to the simulated TEE when no hardware interface exists. Absent: no fallback, and
   * detection fails with TEE_NOT_DETECTED. Simulation is never chosen silently.
   */
  readonly simulated?: SimulatedProviderOptions;
}

/** Picks the evidence provider of this environment: Gramine, then configfs-tsm, then (only if asked) simulated. */
export async function detectProvider(o: DetectOptions = {}): Promise<EvidenceProvider> {
  const fs = o.fs ?? nodeDeviceFs;
  const gramineRoot = o.gramineRoot ?? GRAMINE_ROOT;
  const tsmRoot = o.tsmRoot ?? TSM_ROOT;
  if (await fs.exists(join(gramineRoot, 'attestation_type'))) return gramineProvider({ root: gramineRoot, fs });
  if (await fs.exists(tsmRoot)) return tsmProvider({ root: tsmRoot, fs });
  if (o.simulated !== undefined) return simulatedProvider(o.simulated);
  throw new TeeError(
    'TEE_NOT_DETECTED',
    `no TEE attestation interface found (${join(gramineRoot, 'attestation_type')}, ${tsmRoot}) and simulation was not enabled`,
  );
}
