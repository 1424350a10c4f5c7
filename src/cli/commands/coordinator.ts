import { createPublicKey } from 'node:crypto';
import { Command } from 'commander';
import { defaultStateDir, startCoordinator } from '../../coordinator/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { VERSION } from '../version.js';

interface StartFlags {
  simulation?: boolean;
  stateDir?: string;
  listen: string;
  san?: string[];
  trustPlatformKey?: string[];
  simPlatformDir?: string;
  activationRate: string;
}

export function registerCoordinatorCommands(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const coordinator = program.command('coordinator').description('run the Cloister coordinator');
  coordinator
    .command('start')
    .description('start the coordinator (HTTPS API, docs/api.md); runs until SIGINT/SIGTERM')
    .option('--simulation', 'accept simulated evidence and attest with the simulated TEE (development only; says so everywhere)')
    .option('--state-dir <dir>', `sealed state directory (default ${defaultStateDir()})`)
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:4433')
    .option('--san <name...>', 'extra DNS names or IP addresses for the TLS certificate')
    .option('--trust-platform-key <pem...>', 'also trust these simulated platform public keys (simulation mode)')
    .option('--sim-platform-dir <dir>', 'simulated platform directory (default $CLOISTER_SIM_PLATFORM_DIR or ~/.cloister/sim-platform)')
    .option('--activation-rate <n>', 'activation and nonce requests per second per client address', '200')
    .action((flags: StartFlags) => run(() => start(flags)));
}

function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new UsageError('USAGE_ERROR', `--listen '${s}' is not HOST:PORT (e.g. 127.0.0.1:4433, [::1]:4433, 0.0.0.0:4433)`);
  return { host: (m[1] ?? m[2])!, port };
}

async function start(f: StartFlags): Promise<number> {
  const { host, port } = parseListen(f.listen);
  const rate = Number(f.activationRate);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError('USAGE_ERROR', `--activation-rate '${f.activationRate}' must be a positive number`);
  const sans = { dns: [] as string[], ip: [] as string[] };
  for (const n of f.san ?? []) (/^[\d.]+$|:/.test(n) ? sans.ip : sans.dns).push(n);
  const trustedPlatformKeys = (f.trustPlatformKey ?? []).map((p) => {
    try {
      return createPublicKey(Buffer.from(readInputFile(p, 'platform key')));
    } catch (cause) {
      if (cause instanceof UsageError) throw cause;
      throw new UsageError('USAGE_ERROR', `--trust-platform-key '${p}' is not a PEM public key`, { cause });
    }
  });
  const running = await startCoordinator({
    simulation: f.simulation ?? false,
    ...(f.stateDir === undefined ? {} : { stateDir: f.stateDir }),
    ...(f.simPlatformDir === undefined ? {} : { platformDir: f.simPlatformDir }),
    host,
    port,
    sans,
    trustedPlatformKeys,
    activationRatePerSecond: rate,
    version: VERSION,
  });
  process.stderr.write(`cloister coordinator ${f.simulation ? '(SIMULATION MODE) ' : ''}listening on ${running.url}, state ${running.state()}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write(`shutting down${f.simulation ? ' (SIMULATION MODE)' : ''}\n`);
  await running.close();
  return EXIT.OK;
}
