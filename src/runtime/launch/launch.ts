import type { Clock, Random } from '../../common/clock.js';
import type { EvidenceProvider } from '../../tee/index.js';
import { endpoint, parseCoordinatorUrl, request } from '../https.js';
import type { Activation, AttestedCoordinator } from '../index.js';
import { FORWARDED_SIGNALS, runChild, signalExitCode, type ForwardedSignal, type SignalSource } from './child.js';
import { resolveCommand, type ResolvedCommand } from './command.js';
import type { LaunchConfig } from './config.js';
import { activateStep, attestStep } from './coordinator_steps.js';
import { LaunchError } from './errors.js';
import { writeWorkloadFiles } from './files.js';
import { chooseProvider } from './provider.js';
import { startRenewal, type RenewalHandle, type RenewalOptions } from './renewal.js';

/**
 * `cloister run`: the workload's first process. In order, and nothing of the program runs
 * before every step held:
 *   1. find the program (fail before any network traffic when it is not there);
 *   2. attest the coordinator: its evidence, the binding to its root CA + manifest hash + our
 *      nonce, the TLS of the same connection, and the pinned manifest hash when given;
 *   3. activate: fresh key + CSR + evidence bound to both, over TLS pinned to the attested root;
 *   4. write the received files (0600, atomically), build env and argv;
 *   5. run the program, forward signals, renew the certificate, exit with the program's code.
 *
 * Arguments: a non-empty manifest `argv` REPLACES the command-line arguments (the reviewed
 * manifest decides the program's flags, not whoever writes the pod spec); an empty one keeps
 * them. Environment: the launcher's own environment with the manifest's `env` on top.
 */
export interface LaunchDeps {
  readonly clock: Clock;
  readonly random: Random;
  /** the launcher's environment: PATH for the program lookup, and the base of the program's env */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** progress lines, one per step (the CLI prints them on stderr unless --quiet) */
  readonly log: (line: string) => void;
  /** default: the process */
  readonly signals?: SignalSource;
  readonly timeoutMs?: number;
  readonly renewal?: Pick<RenewalOptions, 'fraction' | 'minRetryMs' | 'maxRetryMs'>;
  /** how often to check the coordinator's manifest hash (default MANIFEST_POLL_MS) */
  readonly manifestPollMs?: number;
}

export interface PreparedLaunch {
  readonly command: ResolvedCommand;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly att: AttestedCoordinator;
  readonly provider: EvidenceProvider;
  readonly activation: Activation;
  /** when the certificate was obtained (the renewal schedule counts from here) */
  readonly obtainedAt: Date;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Steps 1-4: everything up to (not including) starting the program. */
export async function prepareLaunch(c: LaunchConfig, d: LaunchDeps): Promise<PreparedLaunch> {
  const timeoutMs = d.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const command = await resolveCommand(c.command, { cwd: d.cwd, pathEnv: d.env.PATH });

  const att = await attestStep(c, { now: d.clock.now(), random: d.random, timeoutMs });
  const tee = att.simulated ? `SIMULATED ${att.tee === 'simulated' ? 'TEE' : `${att.tee.toUpperCase()} in simulation mode`}` : `${att.tee.toUpperCase()}${att.status === undefined ? '' : ` (TCB ${att.status})`}`;
  d.log(`coordinator ${att.url} attested: ${tee}, manifest ${att.manifestHash}${c.manifestHash === undefined ? ' (not pinned: set --manifest-hash)' : ' (pinned)'}`);

  const chosen = await chooseProvider(c, command.path);
  if (chosen.simulated !== undefined) {
    d.log(`SIMULATED TEE evidence (development only), measurement ${chosen.simulated.measurement} of ${chosen.simulated.source}`);
  }
  const obtainedAt = d.clock.now();
  const activation = await activateStep(c, { att, provider: chosen.provider, now: obtainedAt, timeoutMs });
  d.log(
    `activated ${activation.workload}/${activation.instanceId}: certificate valid until ${activation.expiresAt.toISOString()}, ` +
      `${activation.files.size} file(s), ${Object.keys(activation.env).length} env var(s), ${activation.argv.length} argument(s) from the manifest`,
  );

  const written = await writeWorkloadFiles(activation.files);
  if (written.length > 0) d.log(`wrote ${written.length} file(s) with mode 0600: ${written.join(', ')}`);
  const args = activation.argv.length > 0 ? activation.argv : c.args;
  if (activation.argv.length > 0 && c.args.length > 0) d.log(`the manifest's argv replaces the ${c.args.length} command-line argument(s)`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, activation.env);
  return { command, args, env, att, provider: chosen.provider, activation, obtainedAt };
}

/** Steps 1-5; resolves with the program's exit code (128 + n when it died of signal n). */
export async function launch(c: LaunchConfig, d: LaunchDeps): Promise<number> {
  const signals = d.signals ?? process;
  const prepared = await untilInterrupted(signals, prepareLaunch(c, d));
  const timeoutMs = d.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let current = prepared.activation;
  let att = prepared.att;
  let renewal: RenewalHandle | undefined;
  let watcher: NodeJS.Timeout | undefined;
  const activateNow = () => activateStep(c, { att, provider: prepared.provider, instanceId: current.instanceId, now: d.clock.now(), timeoutMs });
  const renew = async (): Promise<Activation> => {
    let next: Activation;
    try {
      next = await activateNow();
    } catch (e) {
      // A manifest update applied: attest the coordinator again (same root, new manifest hash,
      // refused if --manifest-hash pins the old one) and re-activate under the new manifest.
      if ((e as { detail?: { reason?: string } }).detail?.reason !== 'MANIFEST_HASH_MISMATCH') throw e;
      att = await reattest(c, d, att, timeoutMs);
      next = await activateNow();
    }
    await writeWorkloadFiles(next.files);
    current = next;
    d.log(`renewed ${next.workload}/${next.instanceId}: certificate valid until ${next.expiresAt.toISOString()}, ${next.files.size} file(s) rewritten`);
    return next;
  };
  d.log(`starting ${prepared.command.path} (${prepared.args.length} argument(s))`);
  try {
    const code = await runChild({
      path: prepared.command.path,
      argv0: prepared.command.argv0,
      args: prepared.args,
      env: prepared.env,
      cwd: d.cwd,
      signals,
      onStart: () => {
        const r = startRenewal({ obtainedAt: prepared.obtainedAt, expiresAt: current.expiresAt, renew, clock: d.clock, log: d.log, ...d.renewal });
        renewal = r;
        watcher = watchManifest(c, () => current.manifestHash, () => att.rootCaPem, d, timeoutMs, () => r.renewNow());
      },
    });
    d.log(`program exited with code ${code}`);
    return code;
  } finally {
    if (watcher !== undefined) clearInterval(watcher);
    await renewal?.stop();
  }
}

/** Default interval of the manifest watch (LaunchDeps.manifestPollMs). */
export const MANIFEST_POLL_MS = 30_000;

/**
 * Workloads learn of a manifest update by polling the coordinator's status over TLS pinned to
 * its attested root (the answer is the coordinator's own): a new manifest hash makes the
 * launcher re-activate now, so the workload gets the new manifest's files, secrets and CA, and
 * evidence below a raised minimum security version is refused at once, not at the next renewal.
 */
function watchManifest(
  c: LaunchConfig,
  manifestHash: () => string,
  rootCaPem: () => string,
  d: LaunchDeps,
  timeoutMs: number,
  changed: () => void,
): NodeJS.Timeout {
  let signalled: string | undefined; // one re-activation per new hash, not one per poll
  const t = setInterval(() => {
    request('GET', endpoint(parseCoordinatorUrl(c.coordinatorUrl), '/api/v1/status'), undefined, { ca: rootCaPem(), timeoutMs }).then(
      (r) => {
        const now = (r.json as { manifestHash?: unknown }).manifestHash;
        if (typeof now === 'string' && now !== manifestHash() && now !== signalled) {
          signalled = now;
          d.log(`the coordinator's manifest changed (${manifestHash()} -> ${now}): re-activating`);
          changed();
        }
      },
      () => undefined, // unreachable for now: renewal's own retries report problems
    );
  }, d.manifestPollMs ?? MANIFEST_POLL_MS);
  t.unref();
  return t;
}

/** Attests the coordinator again after a manifest update; its root CA must not have changed. */
async function reattest(c: LaunchConfig, d: LaunchDeps, before: AttestedCoordinator, timeoutMs: number): Promise<AttestedCoordinator> {
  const att = await attestStep(c, { now: d.clock.now(), random: d.random, timeoutMs });
  if (att.rootCaPem !== before.rootCaPem) {
    throw new LaunchError('LAUNCH_COORDINATOR_CHANGED', `the coordinator at ${att.url} now attests another root CA (${att.rootCaFingerprint}); not re-activating against it`);
  }
  d.log(`coordinator re-attested: manifest ${before.manifestHash} -> ${att.manifestHash}`);
  return att;
}

/**
 * Runs the preparation, but a forwarded signal arriving meanwhile ends it at once with
 * LAUNCH_INTERRUPTED (the program is not started; a request in flight is abandoned).
 */
async function untilInterrupted<T>(signals: SignalSource, work: Promise<T>): Promise<T> {
  work.catch(() => undefined); // a rejection after an interruption is not "unhandled"
  const listeners: Array<[ForwardedSignal, () => void]> = [];
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of FORWARDED_SIGNALS) {
      const fn = (): void =>
        reject(new LaunchError('LAUNCH_INTERRUPTED', `received ${signal} before the program started; it was not started`, { detail: { signal } }));
      listeners.push([signal, fn]);
      signals.on(signal, fn);
    }
  });
  try {
    return await Promise.race([work, interrupted]);
  } finally {
    for (const [signal, fn] of listeners) signals.off(signal, fn);
  }
}

/**
 * The launcher's own exit codes, chosen not to collide with common program codes (as
 * `env` and `docker run` do): 2 usage, 125 the launcher failed, 126 the program cannot be
 * executed, 127 not found, 128 + n interrupted by signal n before the start.
 */
export const LAUNCH_EXIT = { USAGE: 2, FAILED: 125, NOT_EXECUTABLE: 126, NOT_FOUND: 127 } as const;

export function launchExitCode(e: unknown): number {
  if (!(e instanceof LaunchError)) return LAUNCH_EXIT.FAILED;
  switch (e.code) {
    case 'LAUNCH_CONFIG_INVALID':
      return LAUNCH_EXIT.USAGE;
    case 'LAUNCH_COMMAND_NOT_FOUND':
      return LAUNCH_EXIT.NOT_FOUND;
    case 'LAUNCH_COMMAND_NOT_EXECUTABLE':
      return LAUNCH_EXIT.NOT_EXECUTABLE;
    case 'LAUNCH_INTERRUPTED':
      return signalExitCode(e.detail?.signal as ForwardedSignal);
    case 'LAUNCH_COORDINATOR_NOT_TRUSTED':
      // a malformed --coordinator URL is a usage error, not a refused coordinator
      return e.detail?.reason === 'COORDINATOR_URL_INVALID' ? LAUNCH_EXIT.USAGE : LAUNCH_EXIT.FAILED;
    default:
      return LAUNCH_EXIT.FAILED;
  }
}
