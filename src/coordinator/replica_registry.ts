import { z } from 'zod';
import type { Clock } from '../common/clock.js';
import { PUBLIC_PREFIX, type Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';

/**
 * Replica discovery (issue #8): each replica keeps `public/replicas/<replicaId>` =
 * JSON { url, measurement, startedAt, expiresAt } fresh, and readers take the records whose
 * expiresAt lies ahead. Expiry by timestamp instead of etcd leases keeps this on the plain
 * Store interface; a replica that dies simply stops refreshing and drops out after the TTL.
 *
 * The records are PUBLIC (plaintext under `public/`, readable before a replica has the data
 * key) and UNTRUSTED: anyone who can write the store can forge one. That is fine because a
 * record only says where to ask; the data-key exchange attests the peer's answer by key id and
 * the requester's evidence, never by what the record claims. The `measurement` is informational.
 */
export const REPLICA_PREFIX = `${PUBLIC_PREFIX}replicas/`;
export const REPLICA_REFRESH_MS = 10_000;
export const REPLICA_TTL_MS = 30_000;

const ID_RE = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const iso = z.iso.datetime({ offset: true });
const recordSchema = z.strictObject({
  url: z.url({ protocol: /^https$/ }).max(2048),
  measurement: z.string().regex(/^[0-9a-f]*$/).max(1024),
  startedAt: iso,
  expiresAt: iso,
});

export type ReplicaRecord = z.output<typeof recordSchema>;
export interface LiveReplica extends ReplicaRecord {
  readonly replicaId: string;
}

export interface ReplicaRegistration {
  /** Writes the record now (also called by the timer); rejects when the store write fails. */
  refresh(): Promise<void>;
  /** Stops refreshing and deletes this replica's record (best effort: it expires anyway). */
  stop(): Promise<void>;
}

export interface RegisterReplicaOptions {
  readonly store: Pick<Store, 'commit'>;
  readonly replicaId: string;
  /** where peers reach this replica's API (https) */
  readonly url: string;
  /** this replica's measurement, lowercase hex (what replica_measurement.ts computes) */
  readonly measurement: string;
  readonly clock: Clock;
  /** a failed timer refresh (the record then expires unless a later refresh succeeds) */
  readonly onError: (e: unknown) => void;
  readonly refreshMs?: number;
  readonly ttlMs?: number;
}

function checkRecordInputs(o: RegisterReplicaOptions): void {
  if (!ID_RE.test(o.replicaId)) {
    throw new CoordinatorError('REPLICA_RECORD_INVALID', `replica id '${o.replicaId}': want 1-63 lowercase letters, digits, '.' or '-'`);
  }
  const now = new Date(0).toISOString();
  const r = recordSchema.safeParse({ url: o.url, measurement: o.measurement, startedAt: now, expiresAt: now });
  if (!r.success) {
    throw new CoordinatorError('REPLICA_RECORD_INVALID', `replica ${o.replicaId}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
}

/** Writes this replica's record now and keeps it fresh every `refreshMs` (default 10 s, TTL 30 s). */
export async function registerReplica(o: RegisterReplicaOptions): Promise<ReplicaRegistration> {
  checkRecordInputs(o);
  const key = `${REPLICA_PREFIX}${o.replicaId}`;
  const ttl = o.ttlMs ?? REPLICA_TTL_MS;
  const startedAt = o.clock.now().toISOString();
  let stopped = false;
  const refresh = async (): Promise<void> => {
    if (stopped) return;
    const record: ReplicaRecord = {
      url: o.url,
      measurement: o.measurement,
      startedAt,
      expiresAt: new Date(o.clock.now().getTime() + ttl).toISOString(),
    };
    // Unconditional put: the record is this replica's alone, and the last writer is the live one.
    await o.store.commit({ compare: [], put: [{ key, value: new TextEncoder().encode(JSON.stringify(record)) }], delete: [] });
  };
  await refresh();
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight !== undefined) return; // a slow store: skip a beat rather than pile up writes
    inFlight = refresh()
      .catch((e: unknown) => o.onError(e))
      .finally(() => {
        inFlight = undefined;
      });
  }, o.refreshMs ?? REPLICA_REFRESH_MS);
  timer.unref();
  return {
    refresh,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await inFlight;
      await o.store.commit({ compare: [], put: [], delete: [key] });
    },
  };
}

/**
 * The replicas whose record has not expired at `now`, sorted by id, without `exclude`
 * (the caller itself). Malformed records are skipped: a record is only a hint (see above),
 * and one bad record must not stop discovery of the others.
 */
export async function liveReplicas(store: Pick<Store, 'list'>, now: Date, o: { exclude?: string } = {}): Promise<LiveReplica[]> {
  const out: LiveReplica[] = [];
  const dec = new TextDecoder();
  for (const e of await store.list(REPLICA_PREFIX)) {
    const replicaId = e.key.slice(REPLICA_PREFIX.length);
    if (!ID_RE.test(replicaId) || replicaId === o.exclude) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(dec.decode(e.value));
    } catch {
      continue;
    }
    const r = recordSchema.safeParse(parsed);
    if (!r.success || Date.parse(r.data.expiresAt) <= now.getTime()) continue;
    out.push({ replicaId, ...r.data });
  }
  return out;
}
