import { resolvePlatformDir } from '../../tee/index.js';
import { LaunchError } from './errors.js';

/**
 * The launcher's configuration: command-line flags first, then CLOISTER_* environment
 * variables (so an admission webhook can inject them into an unmodified pod spec), then
 * defaults. Pure: the environment comes in as an argument, nothing is read from disk.
 */
export type TeeChoice = 'auto' | 'simulated' | 'gramine' | 'tsm';
export const TEE_CHOICES: readonly TeeChoice[] = ['auto', 'simulated', 'gramine', 'tsm'];

/** The environment variable behind each option (docs/launcher.md). */
export const LAUNCH_ENV = {
  coordinator: 'CLOISTER_COORDINATOR',
  workload: 'CLOISTER_WORKLOAD',
  instanceId: 'CLOISTER_INSTANCE_ID',
  tee: 'CLOISTER_TEE',
  manifestHash: 'CLOISTER_MANIFEST_HASH',
  simulation: 'CLOISTER_SIMULATION',
  measurement: 'CLOISTER_MEASUREMENT',
  measure: 'CLOISTER_MEASURE_PATH',
} as const;

export interface LaunchFlags {
  readonly coordinator?: string;
  readonly workload?: string;
  readonly instanceId?: string;
  readonly tee?: string;
  readonly manifestHash?: string;
  readonly simulation?: boolean;
  readonly measurement?: string;
  readonly measure?: string;
  /** trusted simulated platform public keys (PEM text, already read) */
  readonly simPlatformKeys?: readonly string[];
}

export interface LaunchConfig {
  readonly coordinatorUrl: string;
  readonly workload: string;
  readonly instanceId?: string;
  readonly tee: TeeChoice;
  /** lowercase hex; the coordinator must attest exactly this manifest */
  readonly manifestHash?: string;
  /** development mode: accept a simulated coordinator and allow the simulated TEE */
  readonly simulation: boolean;
  /** simulated TEE only: the measurement to claim (96 lowercase hex) instead of measuring */
  readonly measurement?: string;
  /** simulated TEE only: the file or directory to measure instead of the program itself */
  readonly measurePath?: string;
  readonly simPlatformKeys?: readonly string[];
  /** the simulated platform directory (CLOISTER_SIM_PLATFORM_DIR or ~/.cloister/sim-platform) */
  readonly platformDir: string;
  readonly command: string;
  readonly args: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function resolveLaunchConfig(flags: LaunchFlags, commandLine: readonly string[], env: Env): LaunchConfig {
  const pick = (flag: string | undefined, name: keyof typeof LAUNCH_ENV): string | undefined => {
    const v = flag ?? env[LAUNCH_ENV[name]];
    return v === undefined || v === '' ? undefined : v;
  };
  const [command, ...args] = commandLine;
  if (command === undefined || command === '') invalid('no program given: use cloister run [options] -- COMMAND [ARGS...]');

  const coordinatorUrl = pick(flags.coordinator, 'coordinator');
  if (coordinatorUrl === undefined) invalid(`--coordinator URL is required (or set ${LAUNCH_ENV.coordinator})`);
  const workload = pick(flags.workload, 'workload');
  if (workload === undefined) invalid(`--workload NAME is required (or set ${LAUNCH_ENV.workload})`);
  if (!DNS_LABEL.test(workload)) invalid(`workload '${workload}' is not a manifest workload name (a DNS label: a-z, 0-9, -)`);
  const instanceId = pick(flags.instanceId, 'instanceId');
  if (instanceId !== undefined && instanceId.length > 63) invalid(`instance id '${instanceId}' is longer than 63 characters`);

  const tee = (pick(flags.tee, 'tee') ?? 'auto') as TeeChoice;
  if (!TEE_CHOICES.includes(tee)) invalid(`--tee '${tee}' is not one of ${TEE_CHOICES.join(', ')}`);
  const simulation = flags.simulation === true || parseBool(env[LAUNCH_ENV.simulation], LAUNCH_ENV.simulation);
  if (tee === 'simulated' && !simulation) {
    invalid(`--tee simulated needs --simulation (or ${LAUNCH_ENV.simulation}=1): the simulated TEE protects nothing and is for development only`);
  }

  const manifestHash = pick(flags.manifestHash, 'manifestHash');
  if (manifestHash !== undefined && !/^[0-9a-fA-F]{64}$/.test(manifestHash)) invalid(`manifest hash '${manifestHash}' is not 64 hex digits`);
  const measurement = pick(flags.measurement, 'measurement');
  if (measurement !== undefined && !/^[0-9a-fA-F]{96}$/.test(measurement)) {
    invalid(`measurement '${measurement}' is not 96 hex digits (the output of cloister measure)`);
  }
  const measurePath = pick(flags.measure, 'measure');
  if (measurement !== undefined && measurePath !== undefined) invalid('give a measurement or a path to measure, not both');
  if ((measurement !== undefined || measurePath !== undefined) && !simulation) {
    invalid('a measurement or a path to measure applies to the simulated TEE only, which needs --simulation');
  }
  if (flags.simPlatformKeys !== undefined && !simulation) invalid('--sim-platform-key needs --simulation');

  return {
    coordinatorUrl,
    workload,
    ...(instanceId === undefined ? {} : { instanceId }),
    tee,
    ...(manifestHash === undefined ? {} : { manifestHash: manifestHash.toLowerCase() }),
    simulation,
    ...(measurement === undefined ? {} : { measurement: measurement.toLowerCase() }),
    ...(measurePath === undefined ? {} : { measurePath }),
    ...(flags.simPlatformKeys === undefined ? {} : { simPlatformKeys: flags.simPlatformKeys }),
    platformDir: resolvePlatformDir(undefined, env),
    command,
    args,
  };
}

/** '1'/'true'/'yes' or '0'/'false'/'no'/'' (case-insensitive); anything else is a mistake worth reporting. */
function parseBool(v: string | undefined, name: string): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  if (s === '1' || s === 'true' || s === 'yes') return true;
  if (s === '' || s === '0' || s === 'false' || s === 'no') return false;
  return invalid(`${name}='${v}' is not 1/true/yes or 0/false/no`);
}

function invalid(message: string): never {
  throw new LaunchError('LAUNCH_CONFIG_INVALID', message);
}
