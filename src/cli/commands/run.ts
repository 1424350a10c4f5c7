import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { launch, launchExitCode, LaunchError, LAUNCH_ENV, resolveLaunchConfig, TEE_CHOICES } from '../../runtime/launch/index.js';
import { describeError, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';

/**
 * `cloister run [options] -- COMMAND [ARGS...]`: the in-workload launcher (docs/launcher.md).
 * It handles its own errors instead of leaving them to main's `run`, because its exit code is
 * the program's: launcher failures use 2 (usage), 125, 126, 127 and 128 + n (LAUNCH_EXIT),
 * always after exactly one line on stderr and without starting the program.
 */
type Run = (fn: () => Promise<number>) => Promise<void>;

interface RunFlags {
  coordinator?: string;
  workload?: string;
  instanceId?: string;
  tee?: string;
  manifestHash?: string;
  simulation?: boolean;
  measurement?: string;
  measure?: string;
  simPlatformKey?: string[];
  quiet?: boolean;
}

export function registerRunCommand(program: Command, run: Run): void {
  program
    .command('run')
    .description('run a program as an attested workload: attest the coordinator, activate, write its files, start it, renew its certificate')
    .usage('[options] -- COMMAND [ARGS...]')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('--coordinator <url>', `coordinator URL (default: $${LAUNCH_ENV.coordinator})`)
    .option('--workload <name>', `workload name in the manifest (default: $${LAUNCH_ENV.workload})`)
    .option('--instance-id <id>', `instance id; reusing one renews that instance (default: $${LAUNCH_ENV.instanceId}, else assigned)`)
    .option('--tee <kind>', `evidence provider: ${TEE_CHOICES.join('|')} (default: $${LAUNCH_ENV.tee}, else auto)`)
    .option('--manifest-hash <hex>', `the manifest hash the coordinator must attest (default: $${LAUNCH_ENV.manifestHash})`)
    .option('--simulation', `development only: accept a simulated coordinator and use the simulated TEE (or ${LAUNCH_ENV.simulation}=1)`)
    .option('--measurement <hex>', `simulated TEE: the measurement to claim (default: $${LAUNCH_ENV.measurement}, else measured)`)
    .option('--measure <path>', `simulated TEE: file or directory to measure instead of the program (default: $${LAUNCH_ENV.measure})`)
    .option('--sim-platform-key <pem...>', "simulated TEE: trusted coordinator platform public key(s) (default: the local platform's)")
    .option('--quiet', 'print nothing but errors')
    .action((commandLine: string[], f: RunFlags) => run(() => runCommand(commandLine, f)));
}

async function runCommand(commandLine: string[], f: RunFlags): Promise<number> {
  const log = (line: string): void => {
    if (f.quiet !== true) process.stderr.write(`cloister run: ${line}\n`);
  };
  try {
    const simPlatformKeys = f.simPlatformKey?.map((p) => Buffer.from(readInputFile(p, 'simulated platform key')).toString('utf8'));
    const config = resolveLaunchConfig({ ...f, ...(simPlatformKeys === undefined ? {} : { simPlatformKeys }) }, commandLine, process.env);
    return await launch(config, {
      clock: { now: () => new Date() },
      random: { bytes: (n) => new Uint8Array(randomBytes(n)) },
      env: process.env,
      cwd: process.cwd(),
      log,
    });
  } catch (e) {
    process.stderr.write(`cloister run: ${describeError(e)}\n`);
    const code = e instanceof UsageError ? 2 : launchExitCode(e);
    // An interrupted launch may leave a request in flight that would hold the process open
    // until its timeout; the signal asked us to stop now.
    if (e instanceof LaunchError && e.code === 'LAUNCH_INTERRUPTED') process.exit(code);
    return code;
  }
}
