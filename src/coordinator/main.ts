import { X509Certificate, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { createCa, issueLeaf } from '../ca/index.js';
import type { Clock, Random } from '../common/clock.js';
import { createSealedStore, openDataKey, openFileStore, simulatedSealingKey, type DataKeyResult, type SealingKeyProvider, type Store } from '../store/index.js';
import { detectProvider, loadOrCreatePlatform, measurePath, simulatedProvider, type EvidenceProvider } from '../tee/index.js';
import { CoordinatorError } from './codes.js';
import { createCoordinator, type RootIdentity } from './coordinator.js';
import { createServer } from './http/server.js';
import { createMetrics } from './metrics.js';
import { completeRecovery, createRecoveryService, recoveryCoordinator, type CoordinatorHolder, type RecoveryDetail } from './recovery.js';
import { createWorkloadVerifier, type DcapCollateralSource } from './workload_verifier.js';
import { openReplicatedState, ownReplicaMeasurement, startReplicaServices, type ReplicaServices } from './replicated.js';
import { createReplicaKeyService, type ReplicaKeyService } from './replica_key_service.js';
import type { ReplicaMeasurement } from './replica_measurement.js';
import { createStatelessNonceRegistry, usedNonceOps } from './stateless_nonces.js';

export interface StartOptions {
  readonly simulation: boolean;
  /** default $CLOISTER_HOME/coordinator (CLOISTER_HOME defaults to ~/.cloister) */
  readonly stateDir?: string;
  /** shared state in etcd (cloister coordinator start --store etcd://...); default: the file store in stateDir */
  readonly store?: { readonly kind: 'etcd'; readonly options: import('../store/index.js').EtcdStoreOptions };
  /** where other replicas reach this one (default: the listening URL) */
  readonly advertiseUrl?: string;
  readonly host?: string;
  /** 0 picks a free port */
  readonly port?: number;
  /** extra DNS names / IPs for the coordinator's TLS certificate */
  readonly sans?: { readonly dns: readonly string[]; readonly ip: readonly string[] };
  /** simulated platform directory (simulation mode); default as resolvePlatformDir */
  readonly platformDir?: string;
  /** more trusted simulated platform keys (PEM), besides the local platform's */
  readonly trustedPlatformKeys?: readonly KeyObject[];
  readonly dcapCollateral?: DcapCollateralSource;
  /**
   * Extra Intel roots trusted for workload DCAP quotes, besides the pinned Intel SGX Root CA
   * (tests with a generated PKI; like `evidence verify --trust-root`).
   */
  readonly trustRoots?: readonly X509Certificate[];
  /** the coordinator's own evidence provider (default: simulated in simulation mode, else detected) */
  readonly evidenceProvider?: EvidenceProvider;
  readonly activationRatePerSecond?: number;
  readonly log?: Logger;
  readonly version?: string;
  readonly clock?: Clock;
  readonly random?: Random;
}

export interface RunningCoordinator {
  readonly url: string;
  readonly port: number;
  readonly state: () => string;
  readonly rootCaPem: string | undefined;
  close(): Promise<void>;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CLOISTER_HOME ?? join(homedir(), '.cloister'), 'coordinator');
}

/**
 * Hardware mode has no sealing key reachable here (SGX EGETKEY / SNP derived keys plug into
 * SealingKeyProvider): a per-process key means a restart cannot unseal and the coordinator
 * enters recovery — secure, and honest about what this host can do.
 */
function ephemeralSealing(): SealingKeyProvider {
  const key = new Uint8Array(randomBytes(32));
  return { kind: 'ephemeral', sealingKey: async () => key };
}

/** Measures the coordinator's own code: the compiled tree (or the single executable). */
async function ownMeasurement(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const codeRoot = join(here, '..');
  return measurePath(existsSync(join(codeRoot, 'coordinator')) ? codeRoot : process.execPath);
}

/**
 * The one place that wires a coordinator: store, sealing, CA, evidence, verifier, metrics,
 * HTTP. Used by `cloister coordinator start`, the demo and end-to-end tests.
 */
export async function startCoordinator(o: StartOptions): Promise<RunningCoordinator> {
  const clock: Clock = o.clock ?? { now: () => new Date() };
  const random: Random = o.random ?? { bytes: (n) => new Uint8Array(randomBytes(n)) };
  const log = (o.log ?? pino({ level: process.env.CLOISTER_LOG_LEVEL ?? 'info' })).child(o.simulation ? { simulation: true } : {});
  const version = o.version ?? '0.0.0';
  const stateDir = o.stateDir ?? defaultStateDir();
  const metrics = createMetrics();

  let evidence: EvidenceProvider;
  let sealing: SealingKeyProvider;
  const trusted: KeyObject[] = [...(o.trustedPlatformKeys ?? [])];
  if (o.simulation) {
    const platform = await loadOrCreatePlatform(o.platformDir);
    trusted.push(platform.publicKey);
    evidence = o.evidenceProvider ?? simulatedProvider({ platform, measurement: await ownMeasurement() });
    sealing = simulatedSealingKey(platform.dir);
    log.warn({ platformDir: platform.dir, platformKey: platform.fingerprint }, 'SIMULATION MODE: simulated evidence is accepted; nothing here is protected by hardware');
  } else {
    evidence = o.evidenceProvider ?? (await detectProvider());
    sealing = ephemeralSealing();
  }

  // The inner store: the local file store, or etcd shared by replicas (docs/ha.md). A replica's
  // data key comes from its own sealed copy, the first start, or a live replica by attested exchange.
  const replicated = o.store?.kind === 'etcd' ? await openReplicatedState({ etcd: o.store.options, stateDir, sealing, evidence, clock, random, log }) : undefined;
  const innerStore: Store = replicated?.raw ?? (await openFileStore(stateDir));
  const dataKey: DataKeyResult =
    replicated === undefined ? await openDataKey({ dir: stateDir, provider: sealing, random }) : { state: 'unsealed', dataKey: replicated.dataKey, created: replicated.source === 'created' };
  // The normal coordinator over the sealed store: built at a normal start, and again (the same
  // way) when recovery by key holders hands over the recovered data key.
  const openNormal = async (key: Uint8Array) => {
    const store = createSealedStore(innerStore, { dataKey: key, random });
    const verifier = createWorkloadVerifier({
      simulation: o.simulation,
      trustedPlatformKeys: trusted,
      ...(o.dcapCollateral === undefined ? {} : { dcapCollateral: o.dcapCollateral }),
      ...(o.trustRoots === undefined ? {} : { trustRoots: o.trustRoots }),
    });
    if (replicated === undefined) {
      // one local file: a commit may hold many audited changes (etcd's 128-op limit does not apply)
      const c = await createCoordinator({ store, clock, random, verifier, evidence, log, metrics, simulation: o.simulation, version, dataKey: key, auditMaxTxnOps: 10_000 });
      return { api: c, tls: await coordinatorTls(c.ca, clock.now(), o.sans), replica: undefined };
    }
    // Replicas: nonces any replica can check (activation and data-key hand-over share them),
    // single-use across replicas through the store, and the hand-over to new replicas, which
    // must show this replica's own measurement.
    const nonces = createStatelessNonceRegistry({ dataKey: key, clock, random, ttlMs: 60_000, usedCapacity: 100_000 });
    const c = await createCoordinator({ store, clock, random, verifier, evidence, log, metrics, simulation: o.simulation, version, dataKey: key, nonces, nonceOps: usedNonceOps });
    const measurement = await ownReplicaMeasurement(evidence, verifier, clock, random);
    const keys = createReplicaKeyService({ dataKey: key, verifier, expectedMeasurement: measurement, nonces, clock, random, log });
    return { api: c, tls: await coordinatorTls(c.ca, clock.now(), o.sans), replica: { keys, measurement } };
  };
  let replica: { keys: ReplicaKeyService; measurement: ReplicaMeasurement } | undefined;
  let holder: CoordinatorHolder;
  let tls: { certPem: string; keyPem: string };
  if (dataKey.state !== 'unsealed') {
    // the public reason names no local paths; the log has them
    const reason = `the sealed state cannot be opened: ${dataKey.reason}`;
    log.error({ stateDir, why: dataKey.why, reason: dataKey.reason }, 'entering recovery');
    const throwaway = await recoveryCa(clock.now());
    holder = { current: recoveryCoordinator({ reason, simulation: o.simulation, version, root: throwaway.root, evidence }) };
    metrics.state.set({ state: 'recovery' }, 1);
    metrics.simulation.set(o.simulation ? 1 : 0);
    tls = await coordinatorTls(throwaway.ca, clock.now(), o.sans);
  } else {
    const normal = await openNormal(dataKey.dataKey);
    holder = { current: normal.api };
    tls = normal.tls;
    replica = normal.replica;
  }

  // Recovery by key holders: once the shares open the sealed state, switch this process to the
  // normal coordinator in place: new TLS handshakes present the real CA, requests reach it.
  const onRecovered = async (key: Uint8Array, detail: RecoveryDetail) => {
    const normal = await openNormal(key);
    try {
      // re-split under a fresh share set and audit `recovery.completed` BEFORE serving: a
      // failure here fails the recovery request (holders submit again), never a half switch
      await normal.api.afterRecovery(detail);
    } catch (e) {
      await normal.api.close();
      throw e;
    }
    app.server.setSecureContext({ cert: normal.tls.certPem, key: normal.tls.keyPem });
    holder.current = normal.api;
    // keep-alive connections still present the throwaway root: make their clients reconnect
    app.server.closeIdleConnections();
    log.warn({ state: normal.api.state() }, 'recovered: serving the normal coordinator');
  };
  const recovery = createRecoveryService({
    store: innerStore,
    state: () => holder.current.state(),
    log,
    unlock: (key, detail) => completeRecovery({ store: innerStore, stateDir, sealing, random, clock, log, onRecovered }, key, detail),
  });

  const app = await createServer({
    coordinator: holder,
    recovery,
    tls,
    log,
    metrics,
    clock,
    simulation: o.simulation,
    activationRatePerSecond: o.activationRatePerSecond ?? 200,
    ...(replica === undefined ? {} : { replicaKeys: replica.keys }),
    healthy: () => services?.storeReachable() ?? true,
    replica: () => (replicated === undefined ? undefined : { replicaId: replicated.replicaId, leader: services?.isLeader() ?? false }),
  });
  let services: ReplicaServices | undefined;
  try {
    await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 4433 });
  } catch (cause) {
    await innerStore.close();
    const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new CoordinatorError('COORDINATOR_LISTEN_FAILED', `cannot listen on ${o.host ?? '127.0.0.1'}:${o.port ?? 4433}: ${why}`, { cause });
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : (o.port ?? 4433);
  const host = o.host ?? '127.0.0.1';
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (replicated !== undefined && replica !== undefined) {
    services = await startReplicaServices({
      state: replicated,
      coordinator: { refresh: () => holder.current.refresh(), maintenance: () => holder.current.maintenance() },
      url: o.advertiseUrl ?? url,
      measurement: replica.measurement,
      clock,
      log,
    });
  }
  log.info({ url, state: holder.current.state(), stateDir, ...(replicated === undefined ? {} : { replicaId: replicated.replicaId, store: 'etcd' }) }, 'coordinator listening');
  return {
    url,
    port,
    state: () => holder.current.state(),
    get rootCaPem() {
      return holder.current.root?.certPem;
    },
    async close() {
      await services?.stop();
      await app.close();
      await holder.current.close();
      await innerStore.close();
    },
  };
}

/** A fresh TLS key each start, certified by the coordinator's CA for localhost + the given names. */
async function coordinatorTls(
  ca: Parameters<typeof issueLeaf>[0],
  now: Date,
  sans: StartOptions['sans'],
): Promise<{ certPem: string; keyPem: string }> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = await issueLeaf(ca, {
    publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    subjectCn: 'cloister-coordinator',
    sans: { dns: ['localhost', ...(sans?.dns ?? [])], ip: ['127.0.0.1', '::1', ...(sans?.ip ?? [])] },
    lifetimeMs: 90 * 24 * 3600_000,
    now,
    serverAuth: true,
    clientAuth: false,
  });
  return { certPem: leaf.chainPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * In recovery the sealed CA is out of reach: a throwaway CA, created fresh in the TEE at each
 * start, serves TLS and is what the recovery attestation binds, so holders pin its root.
 */
async function recoveryCa(now: Date): Promise<{ ca: Parameters<typeof issueLeaf>[0]; root: RootIdentity }> {
  const ca = await createCa({ name: 'Cloister Recovery', now, rootLifetimeMs: 7 * 24 * 3600_000, intermediateLifetimeMs: 7 * 24 * 3600_000 });
  const spkiDer = new Uint8Array(new X509Certificate(ca.root.certPem).publicKey.export({ type: 'spki', format: 'der' }));
  return { ca, root: { certPem: ca.root.certPem, spkiDer } };
}
