import type { Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';

/**
 * The coordinator's persistent state, one JSON value per key in the sealed store:
 *
 *   coordinator/ca                { ca: <CA snapshot: root + intermediate, keys included> }
 *   coordinator/manifest          ManifestRecord
 *   secrets/shared/<name>         StoredSecret
 *   instances/<workload>/<id>     InstanceRecord
 *   counters/<workload>           { count, next }    distinct instances ever activated; next auto id
 *   revocations/<serial>          { revokedAt, workload, instanceId }
 *   volumes/<workload>/<volumeId> VolumeRecord       protected-volume rollback protection
 *   secrets/user/<name>           StoredSecret + setAt/setBy    set through the API (secret.write)
 *   governance/proposals/<hash>   ProposalRecord     manifest update proposals and their approvals
 *   governance/history/<ms>-<hash> HistoryRecord     every manifest that was in force, in order
 *   audit/head, audit/entries/<seq>                  the signed audit log (src/audit)
 *   public/...                    stored UNSEALED: public data only (recovery envelopes, replica registry)
 *
 * Every change is one store commit conditioned on the revisions it read (compare-and-swap),
 * so concurrent requests (and, later, coordinator replicas on etcd) never lose an update.
 */
export const KEY = {
  ca: 'coordinator/ca',
  manifest: 'coordinator/manifest',
  sharedSecret: (name: string) => `secrets/shared/${name}`,
  instance: (workload: string, id: string) => `instances/${workload}/${id}`,
  instancesOf: (workload: string) => `instances/${workload}/`,
  counter: (workload: string) => `counters/${workload}`,
  revocation: (serial: string) => `revocations/${serial}`,
  revocations: 'revocations/',
  volume: (workload: string, volumeId: string) => `volumes/${workload}/${volumeId}`,
  userSecret: (name: string) => `secrets/user/${name}`,
  userSecrets: 'secrets/user/',
  proposal: (hash: string) => `governance/proposals/${hash}`,
  proposals: 'governance/proposals/',
  // zero-padded milliseconds: key order is time order
  history: (at: Date, manifestHash: string) => `governance/history/${String(at.getTime()).padStart(15, '0')}-${manifestHash}`,
  historyPrefix: 'governance/history/',
} as const;

/** One manifest that came into force: the first (set) or an applied update. */
export interface HistoryRecord {
  readonly manifestHash: string;
  readonly previousManifestHash: string | null;
  readonly appliedAt: string;
  readonly proposalHash: string | null;
  readonly approvedBy: readonly string[];
}

/** A protected volume's latest committed state (monotonic version + manifest hash). */
export interface VolumeRecord {
  readonly version: number;
  readonly hash: string;
}

export interface ManifestRecord {
  readonly text: string;
  readonly hash: string;
  readonly setAt: string;
}

export type StoredSecret =
  | { readonly kind: 'bytes'; readonly hex: string }
  | { readonly kind: 'certificate'; readonly certPem: string; readonly keyPem: string };

export interface InstanceRecord {
  readonly serial: string;
  readonly activatedAt: string;
  readonly renewedAt: string;
  readonly expiresAt: string;
  /** per-instance secrets, created on first activation and kept on renewal */
  readonly secrets: Readonly<Record<string, StoredSecret>>;
}

export interface CounterRecord {
  readonly count: number;
  readonly next: number;
}

export interface RevocationRecord {
  readonly revokedAt: string;
  readonly workload: string;
  readonly instanceId: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeJson(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}

export function decodeJson<T>(bytes: Uint8Array, key: string): T {
  try {
    return JSON.parse(dec.decode(bytes)) as T;
  } catch (cause) {
    // values are authenticated by the sealed store, so this is a bug or a format change, not an attack
    throw new CoordinatorError('STATE_CONCURRENT_UPDATE', `stored value at '${key}' is not valid JSON`, { cause });
  }
}

export async function readJson<T>(store: Pick<Store, 'get'>, key: string): Promise<{ value: T; revision: bigint } | undefined> {
  const got = await store.get(key);
  return got === undefined ? undefined : { value: decodeJson<T>(got.value, key), revision: got.revision };
}
