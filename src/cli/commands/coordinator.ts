import { createPublicKey } from 'node:crypto';
import { Command } from 'commander';
import { defaultStateDir, startCoordinator } from '../../coordinator/index.js';
import { parseStoreUrl, type EtcdStoreOptions } from '../../store/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { VERSION } from '../version.js';

/** The store flags of `coordinator start` (commander's camelCase names). */
export interface StoreFlags {
  store?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
}

interface StartFlags extends StoreFlags {
  simulation?: boolean;
  stateDir?: string;
  listen: string;
  san?: string[];
  trustPlatformKey?: string[];
  simPlatformDir?: string;
  activationRate: string;
  advertiseUrl?: string;
}

export function registerCoordinatorCommands(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const coordinator = program.command('coordinator').description('run the Cloister coordinator');
  coordinator
    .command('start')
    .description('start the coordinator (HTTPS API, docs/api.md); runs until SIGINT/SIGTERM')
    .option('--simulation', 'accept simulated evidence and attest with the simulated TEE (development only; says so everywhere)')
    .option('--state-dir <dir>', `sealed state directory (default ${defaultStateDir()})`)
    .option('--store <url>', "where the sealed state lives: 'file' (the file store in --state-dir) or etcd://HOST:PORT[,HOST:PORT...][/prefix/], etcds://... for TLS (docs/ha.md)", 'file')
    .option('--etcd-ca <file>', 'CA certificate (PEM) that signed the etcd members (etcds:// only)')
    .option('--etcd-cert <file>', "client certificate (PEM) for etcd's --client-cert-auth (etcds:// only, with --etcd-key)")
    .option('--etcd-key <file>', 'private key (PEM) of --etcd-cert')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:4433')
    .option('--advertise-url <url>', 'https URL where other replicas reach this one (etcd store; default: the listening URL)')
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

/**
 * --store and the --etcd-* files into StartOptions.store: undefined for the file store (the
 * default), else etcd options that passed the store's own checks. Store URL errors keep their
 * StoreError codes (exit 2: src/cli/exit.ts); TLS files are read only when given.
 */
export function storeFromFlags(f: StoreFlags): { kind: 'etcd'; options: EtcdStoreOptions } | undefined {
  const read = (path: string | undefined, what: string) => (path === undefined ? undefined : readInputFile(path, what));
  const tls = { ca: read(f.etcdCa, 'etcd CA certificate'), cert: read(f.etcdCert, 'etcd client certificate'), key: read(f.etcdKey, 'etcd client key') };
  const selected = parseStoreUrl(f.store ?? 'file', {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
  });
  return selected.kind === 'file' ? undefined : selected;
}

async function start(f: StartFlags): Promise<number> {
  const { host, port } = parseListen(f.listen);
  const store = storeFromFlags(f);
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
    ...(store === undefined ? {} : { store }),
    ...(f.advertiseUrl === undefined ? {} : { advertiseUrl: f.advertiseUrl }),
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
