import type { Random } from '../../common/clock.js';
import { TeeError, type EvidenceProvider } from '../../tee/index.js';
import { activate, attestCoordinator, ClientError, type Activation, type AttestedCoordinator } from '../index.js';
import type { LaunchConfig } from './config.js';
import { LaunchError } from './errors.js';
import { evidenceUnavailable } from './provider.js';

/**
 * The two conversations with the coordinator, with their failures turned into one launcher
 * error each: what failed, the underlying code and message (detail.reason), and what to check.
 */
const ATTEST_HINTS: Readonly<Record<string, string>> = {
  COORDINATOR_UNREACHABLE: 'check --coordinator (CLOISTER_COORDINATOR) and that the coordinator runs',
  COORDINATOR_URL_INVALID: 'check --coordinator (CLOISTER_COORDINATOR)',
  SIMULATED_COORDINATOR_NOT_ALLOWED: 'pass --simulation (CLOISTER_SIMULATION=1) only on a development machine',
  TRUSTED_PLATFORM_KEY_MISSING: "check CLOISTER_SIM_PLATFORM_DIR or pass the coordinator's platform key with --sim-platform-key",
  MANIFEST_HASH_MISMATCH: 'check --manifest-hash (CLOISTER_MANIFEST_HASH) against the manifest you reviewed',
};
const ACTIVATE_HINTS: Readonly<Record<string, string>> = {
  MEASUREMENT_MISMATCH: "the program's measurement is not in its package's reference values: check the manifest and that the program is unmodified",
  WORKLOAD_UNKNOWN: 'check --workload (CLOISTER_WORKLOAD) against the workloads of the manifest',
  MAX_ACTIVATIONS_REACHED: "the workload's maxActivations is used up: reuse an instance id (--instance-id) or raise the limit in the manifest",
  SIMULATION_NOT_ALLOWED: 'the coordinator does not accept simulated evidence: run on TEE hardware',
  SIM_PLATFORM_UNTRUSTED: "the coordinator does not trust this host's simulated platform key: check CLOISTER_SIM_PLATFORM_DIR",
  TEMPLATE_VALUE_MISSING: 'a user secret the workload references has no value yet: set it through the coordinator',
};

export async function attestStep(c: LaunchConfig, o: { readonly now: Date; readonly random: Random; readonly timeoutMs: number }): Promise<AttestedCoordinator> {
  let att: AttestedCoordinator;
  try {
    att = await attestCoordinator(c.coordinatorUrl, {
      simulation: c.simulation,
      platformDir: c.platformDir,
      ...(c.simPlatformKeys === undefined ? {} : { trustedPlatformKeys: c.simPlatformKeys }),
      ...(c.manifestHash === undefined ? {} : { expectedManifestHash: c.manifestHash }),
      now: o.now,
      random: o.random,
      timeoutMs: o.timeoutMs,
    });
  } catch (e) {
    const reason = codeOf(e);
    const hint = ATTEST_HINTS[reason] ?? "check the coordinator's evidence and your trust settings (--simulation, --manifest-hash)";
    const message = oneLine(e);
    // the client library's messages often end with their own hint: do not say it twice
    const withHint = /; (check|pass) /.test(message) ? message : `${message}; ${hint}`;
    throw new LaunchError('LAUNCH_COORDINATOR_NOT_TRUSTED', `coordinator ${c.coordinatorUrl} failed attestation: ${reason}: ${withHint}`, {
      cause: e,
      detail: { reason },
    });
  }
  if (att.manifestHash === null) {
    throw new LaunchError('LAUNCH_COORDINATOR_NOT_READY', `coordinator ${att.url} is attested but has no manifest yet; set one with 'cloister manifest set'`);
  }
  return att;
}

export interface ActivateStepOptions {
  readonly att: AttestedCoordinator;
  readonly provider: EvidenceProvider;
  readonly instanceId?: string;
  readonly now: Date;
  readonly timeoutMs: number;
}

export async function activateStep(c: LaunchConfig, o: ActivateStepOptions): Promise<Activation> {
  const instanceId = o.instanceId ?? c.instanceId;
  try {
    return await activate({
      coordinatorUrl: c.coordinatorUrl,
      rootCaPem: o.att.rootCaPem,
      workload: c.workload,
      ...(instanceId === undefined ? {} : { instanceId }),
      provider: o.provider,
      manifestHash: o.att.manifestHash!,
      now: o.now,
      timeoutMs: o.timeoutMs,
    });
  } catch (e) {
    if (e instanceof TeeError) throw evidenceUnavailable(e);
    const who = `${c.workload}${instanceId === undefined ? '' : `/${instanceId}`}`;
    if (e instanceof ClientError && e.code === 'COORDINATOR_REJECTED') {
      const reason = typeof e.detail?.code === 'string' ? e.detail.code : 'COORDINATOR_REJECTED';
      const hint = ACTIVATE_HINTS[reason] ?? 'see the reason above';
      throw new LaunchError('LAUNCH_ACTIVATION_REFUSED', `activation of ${who} refused: ${reason}: ${oneLine(e)}; ${hint}`, {
        cause: e,
        detail: { reason, ...(e.detail?.details === undefined ? {} : { details: e.detail.details }) },
      });
    }
    const reason = codeOf(e);
    throw new LaunchError('LAUNCH_ACTIVATION_FAILED', `activation of ${who} failed: ${reason}: ${oneLine(e)}; check that ${c.coordinatorUrl} is reachable and answers as docs/api.md says`, {
      cause: e,
      detail: { reason },
    });
  }
}

function codeOf(e: unknown): string {
  return typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'INTERNAL_ERROR';
}

/** Error messages end up in one line of output. */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
}
