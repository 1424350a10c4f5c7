import { detectProvider, gramineProvider, measurePath, simulatedProvider, TeeError, tsmProvider, type EvidenceProvider } from '../../tee/index.js';
import type { LaunchConfig } from './config.js';
import { LaunchError } from './errors.js';

/**
 * Picks the evidence provider for `--tee`:
 * - gramine / tsm: that hardware interface (a missing device fails at the first evidence);
 * - auto: Gramine, then configfs-tsm, then, only with --simulation, the simulated TEE;
 * - simulated: the simulated TEE (config already refused it without --simulation).
 *
 * What the simulated TEE measures (docs/launcher.md): `--measurement HEX` when given, else
 * `cloister measure` of `--measure PATH` when given, else of the program file itself (the
 * resolved executable: for a `#!` script that is the script, not its interpreter). Hardware
 * evidence needs none of this: the TEE measures what it loaded.
 */
export interface ChosenProvider {
  readonly provider: EvidenceProvider;
  /** the simulated measurement (lowercase hex) and what it covers; absent for hardware */
  readonly simulated?: { readonly measurement: string; readonly source: string };
}

export async function chooseProvider(c: LaunchConfig, programPath: string): Promise<ChosenProvider> {
  switch (c.tee) {
    case 'gramine':
      return { provider: gramineProvider() };
    case 'tsm':
      return { provider: tsmProvider() };
    case 'simulated':
      return simulated(c, programPath);
    case 'auto': {
      try {
        return { provider: await detectProvider() };
      } catch (e) {
        if (e instanceof TeeError && e.code === 'TEE_NOT_DETECTED' && c.simulation) return simulated(c, programPath);
        throw evidenceUnavailable(e, c.simulation ? '' : '; on a development machine pass --simulation (or CLOISTER_SIMULATION=1) to use the simulated TEE');
      }
    }
  }
}

async function simulated(c: LaunchConfig, programPath: string): Promise<ChosenProvider> {
  let measurement: string;
  let source: string;
  if (c.measurement !== undefined) {
    measurement = c.measurement;
    source = 'given';
  } else {
    source = c.measurePath ?? programPath;
    try {
      measurement = await measurePath(source);
    } catch (e) {
      const reason = e instanceof TeeError ? e.code : 'MEASURE_PATH_UNREADABLE';
      throw new LaunchError('LAUNCH_MEASUREMENT_FAILED', `cannot measure '${source}' for the simulated TEE: ${(e as Error).message}`, {
        cause: e,
        detail: { reason, path: source },
      });
    }
  }
  return { provider: simulatedProvider({ platformDir: c.platformDir, measurement }), simulated: { measurement, source } };
}

/** A provider failure (detection here, or evidence during activation) as one launcher error. */
export function evidenceUnavailable(e: unknown, hint = ''): LaunchError {
  const reason = e instanceof TeeError ? e.code : 'INTERNAL_ERROR';
  return new LaunchError('LAUNCH_EVIDENCE_UNAVAILABLE', `cannot produce attestation evidence: ${reason}: ${(e as Error).message}${hint}`, {
    cause: e,
    detail: { reason },
  });
}
