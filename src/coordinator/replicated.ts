import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock, Random } from '../common/clock.js';
import { toHex } from '../common/bytes.js';
import { openEtcdStore, type EtcdStore, type EtcdStoreOptions, type SealingKeyProvider, type StoreWatch } from '../store/index.js';
import type { EvidenceProvider } from '../tee/index.js';
import { obtainDataKey, type DataKeySource } from './data_key_bootstrap.js';
import { httpsReplicaKeyClient } from './replica_key_client.js';
import { replicaMeasurementOf, type ReplicaMeasurement } from './replica_measurement.js';
import { registerReplica } from './replica_registry.js';
import type { WorkloadVerifier } from './workload_verifier.js';

/**
 * Coordinator replicas on etcd (docs/ha.md). Every replica serves the whole API from the shared
 * sealed state; what is specific to running several is here:
 * - the data key comes from the replica's own sealed copy, or is created by the very first
 *   replica, or is handed over by a live replica after attested key exchange;
 * - a watch on the state reloads the snapshot (manifest, CA, secrets) within a second of a
 *   change made by another replica;
 * - once-only upkeep (finishing reached quorums, pruning used nonces) runs on the replica that
 *   holds the etcd lease of the leader election;
 * - a health probe reports when etcd is out of reach, so the replica is taken out of service
 *   (503 on /healthz) while every write fails closed on its own.
 */
export interface ReplicatedState {
  readonly raw: EtcdStore;
  readonly dataKey: Uint8Array;
  readonly source: DataKeySource;
  readonly replicaId: string;
}

export function newReplicaId(random: Random): string {
  const host = hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 40) || 'replica';
  return `${host}-${toHex(random.bytes(4))}`;
}

export async function openReplicatedState(o: {
  etcd: EtcdStoreOptions;
  stateDir: string;
  sealing: SealingKeyProvider;
  evidence: EvidenceProvider;
  clock: Clock;
  random: Random;
  log: Logger;
}): Promise<ReplicatedState> {
  const raw = await openEtcdStore(o.etcd);
  const replicaId = newReplicaId(o.random);
  try {
    const k = await obtainDataKey({
      store: raw,
      stateDir: o.stateDir,
      sealing: o.sealing,
      evidence: o.evidence,
      client: httpsReplicaKeyClient({ timeoutMs: 10_000 }),
      replicaId,
      clock: o.clock,
      random: o.random,
    });
    o.log.info({ replicaId, keyId: k.keyId, source: k.source, endpoints: o.etcd.endpoints }, 'replica holds the state data key');
    return { raw, dataKey: k.dataKey, source: k.source, replicaId };
  } catch (e) {
    await raw.close();
    throw e;
  }
}

/** This replica's own measurement, from its own evidence as the verifier sees it (what peers must match). */
export async function ownReplicaMeasurement(evidence: EvidenceProvider, verifier: WorkloadVerifier, clock: Clock, random: Random): Promise<ReplicaMeasurement> {
  const ev = await evidence.getEvidence(random.bytes(64));
  const claims = await verifier.verify({ tee: ev.tee, data: ev.evidence, certs: ev.certs === undefined ? [] : [ev.certs] }, clock.now());
  return replicaMeasurementOf(claims);
}

export interface ReplicaCoordinator {
  refresh(): Promise<void>;
  maintenance(): Promise<{ applied: number; pruned: number }>;
}

export interface ReplicaServices {
  /** false while etcd does not answer this replica (then /healthz says 503) */
  storeReachable(): boolean;
  isLeader(): boolean;
  stop(): Promise<void>;
}

const PROBE_MS = 1000;
const MAINTENANCE_MS = 2000;
const LEADER_TTL_S = 3;

export async function startReplicaServices(o: {
  state: ReplicatedState;
  coordinator: ReplicaCoordinator;
  url: string;
  measurement: ReplicaMeasurement;
  clock: Clock;
  log: Logger;
}): Promise<ReplicaServices> {
  const log = o.log.child({ replicaId: o.state.replicaId });
  let stopped = false;
  let reachable = true;
  let leading: { isLeader(): boolean; resign(): Promise<void> } | undefined;

  const registration = await registerReplica({
    store: o.state.raw,
    replicaId: o.state.replicaId,
    url: o.url,
    measurement: o.measurement.measurement,
    clock: o.clock,
    onError: (e) => log.warn({ err: (e as Error).message }, 'replica registry refresh failed'),
  });

  // Reload on any change to the snapshot's keys; coalesce bursts (one commit = several keys).
  let reload: NodeJS.Timeout | undefined;
  const scheduleReload = () => {
    if (reload !== undefined || stopped) return;
    reload = setTimeout(() => {
      reload = undefined;
      o.coordinator.refresh().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'snapshot reload failed'));
    }, 50);
  };
  const watches: StoreWatch[] = [];
  for (const prefix of ['coordinator/', 'secrets/']) {
    watches.push(await o.state.raw.watch(prefix, scheduleReload, { onError: (e) => log.error({ code: e.code }, 'state watch ended') }));
  }

  const probe = setInterval(() => {
    o.state.raw.get('public/state-key-id').then(
      () => {
        if (!reachable) log.warn('etcd reachable again: serving');
        reachable = true;
      },
      (e: unknown) => {
        if (reachable) log.error({ code: (e as { code?: string }).code }, 'etcd unreachable: this replica fails closed (writes refused, /healthz 503)');
        reachable = false;
      },
    );
  }, PROBE_MS);
  probe.unref();

  const election = o.state.raw.leaderElection('coordinator-leader', LEADER_TTL_S);
  const campaign = async (): Promise<void> => {
    while (!stopped) {
      try {
        const l = await election.campaign(o.state.replicaId);
        if (stopped) {
          await l.resign();
          return;
        }
        leading = l;
        log.info('elected leader: running once-only upkeep');
        const timer = setInterval(() => {
          if (!l.isLeader()) return;
          o.coordinator.maintenance().then(
            (r) => {
              if (r.applied > 0 || r.pruned > 0) log.info(r, 'leader upkeep');
            },
            (e: unknown) => log.warn({ err: (e as Error).message }, 'leader upkeep failed'),
          );
        }, MAINTENANCE_MS);
        const lost = await l.lost;
        clearInterval(timer);
        leading = undefined;
        if (!stopped) log.warn({ code: lost.code }, 'leadership lost; campaigning again');
      } catch (e) {
        if (stopped) return;
        log.warn({ err: (e as Error).message }, 'leader campaign failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  // runs until stop(): a campaign still waiting then ends when the etcd client closes
  void campaign();

  return {
    storeReachable: () => reachable,
    isLeader: () => leading?.isLeader() ?? false,
    async stop() {
      stopped = true;
      clearInterval(probe);
      if (reload !== undefined) clearTimeout(reload);
      await leading?.resign().catch(() => undefined);
      for (const w of watches) await w.close().catch(() => undefined);
      await registration.stop().catch(() => undefined);
    },
  };
}
