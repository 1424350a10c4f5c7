import { createPublicKey } from 'node:crypto';
import { toHex } from '../common/bytes.js';
import type { Clock, Random } from '../common/clock.js';
import { CloisterError } from '../common/errors.js';
import { dataKeyId, PUBLIC_PREFIX, type SealingKeyProvider, type Store } from '../store/index.js';
import { TeeError, type EvidenceProvider } from '../tee/index.js';
import { CoordinatorError } from './codes.js';
import type { ReplicaKeyClient } from './replica_key_client.js';
import { openReplicaKey, x25519KeyPair } from './replica_key_envelope.js';
import { readReplicaKey, saveReplicaKey } from './replica_key_file.js';
import { replicaKeyReportData } from './replica_key_service.js';
import { liveReplicas, type LiveReplica } from './replica_registry.js';

/**
 * How a replica starting on a SHARED store (etcd) gets the state's data key (issue #8). The key
 * is never stored in plaintext: `public/state-key-id` only names it (its public 8-byte id, the one
 * every sealed value carries), and each replica holds a copy sealed to its own platform.
 *
 *   local:     a sealed copy in stateDir with that id opens           -> use it
 *   created:   no state-key-id and no sealed state yet                -> generate a key, seal it
 *              locally FIRST (a claimed key must never be lost), then claim the id by
 *              compare-and-swap (absent); losing the race falls through to an exchange
 *   exchanged: attested key exchange with each live replica in turn until one answers a key
 *              whose id equals state-key-id (a lying peer gains nothing), then seal it locally
 *
 * Nobody answers -> REPLICA_KEY_UNAVAILABLE: never a new key over existing state. A store that
 * holds sealed values but no state-key-id is refused (REPLICA_STATE_KEY_MISSING) for the same
 * reason: whoever deleted the record must not make a replica start a second, empty state.
 */
export const STATE_KEY_ID_KEY = `${PUBLIC_PREFIX}state-key-id`;

export type DataKeySource = 'local' | 'created' | 'exchanged';

export interface ObtainedDataKey {
  readonly dataKey: Uint8Array;
  /** lowercase hex of dataKeyId(dataKey) */
  readonly keyId: string;
  readonly source: DataKeySource;
}

export interface ObtainDataKeyOptions {
  /** the shared store, RAW (this runs before the data key is known): only `public/` keys are written, others only counted */
  readonly store: Pick<Store, 'get' | 'list' | 'commit'>;
  readonly stateDir: string;
  readonly sealing: SealingKeyProvider;
  /** this replica's own evidence provider (its evidence is bound to the exchange key) */
  readonly evidence: EvidenceProvider;
  readonly client: ReplicaKeyClient;
  /** this replica's id in the registry (never asked for its own key) */
  readonly replicaId: string;
  readonly clock: Clock;
  readonly random: Random;
  /** rounds of "try every live replica" before giving up (default 3): a race winner may not be registered yet */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Failure {
  readonly replicaId: string;
  readonly url: string;
  readonly code: string;
  readonly message: string;
}

export async function obtainDataKey(o: ObtainDataKeyOptions): Promise<ObtainedDataKey> {
  const attempts = o.attempts ?? 3;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    let keyId = await readStateKeyId(o.store);
    if (keyId === undefined) {
      const created = await tryCreate(o);
      if (created !== undefined) return created;
      keyId = await readStateKeyId(o.store);
      if (keyId === undefined) throw new CoordinatorError('STATE_CONCURRENT_UPDATE', `${STATE_KEY_ID_KEY} was claimed by another replica and then removed; retry`);
    }
    const local = await readReplicaKey({ dir: o.stateDir, provider: o.sealing, keyIdHex: keyId });
    if (local.state === 'unsealed') return { dataKey: local.dataKey, keyId, source: 'local' };
    try {
      const dataKey = await exchange(o, keyId);
      await saveReplicaKey({ dir: o.stateDir, provider: o.sealing, random: o.random, dataKey });
      return { dataKey, keyId, source: 'exchanged' };
    } catch (e) {
      if (!(e instanceof CoordinatorError && e.code === 'REPLICA_KEY_UNAVAILABLE') || attempt >= attempts) throw e;
      await sleep(o.retryDelayMs ?? 2_000);
    }
  }
}

/** The state's key id (16 lowercase hex digits), or undefined when none is claimed yet. */
export async function readStateKeyId(store: Pick<Store, 'get'>): Promise<string | undefined> {
  const e = await store.get(STATE_KEY_ID_KEY);
  if (e === undefined) return undefined;
  let keyId: unknown;
  try {
    keyId = (JSON.parse(new TextDecoder().decode(e.value)) as { keyId?: unknown }).keyId;
  } catch {
    keyId = undefined;
  }
  if (typeof keyId !== 'string' || !/^[0-9a-f]{16}$/.test(keyId)) {
    // never "repair" it by claiming a new key: that would orphan the existing state
    throw new CoordinatorError('REPLICA_STATE_KEY_MISSING', `${STATE_KEY_ID_KEY} is malformed: want JSON { "keyId": 16 lowercase hex digits }`);
  }
  return keyId;
}

async function tryCreate(o: ObtainDataKeyOptions): Promise<ObtainedDataKey | undefined> {
  const sealedKeys = (await o.store.list('')).filter((e) => !e.key.startsWith(PUBLIC_PREFIX));
  if (sealedKeys.length > 0) {
    throw new CoordinatorError(
      'REPLICA_STATE_KEY_MISSING',
      `the shared store holds ${sealedKeys.length} sealed value(s) (e.g. ${JSON.stringify(sealedKeys[0]!.key)}) but no ${STATE_KEY_ID_KEY}: refusing to create a new data key over existing state`,
    );
  }
  const dataKey = o.random.bytes(32);
  const keyId = toHex(dataKeyId(dataKey));
  await saveReplicaKey({ dir: o.stateDir, provider: o.sealing, random: o.random, dataKey });
  const record = JSON.stringify({ keyId, createdAt: o.clock.now().toISOString() });
  const r = await o.store.commit({ compare: [{ key: STATE_KEY_ID_KEY, revision: 0n }], put: [{ key: STATE_KEY_ID_KEY, value: new TextEncoder().encode(record) }], delete: [] });
  // Lost the race: the local copy of the unused key stays under its own id, harmless.
  return r.ok ? { dataKey, keyId, source: 'created' } : undefined;
}

async function exchange(o: ObtainDataKeyOptions, keyId: string): Promise<Uint8Array> {
  const peers = await liveReplicas(o.store, o.clock.now(), { exclude: o.replicaId });
  const failures: Failure[] = [];
  for (const peer of peers) {
    try {
      return await exchangeWith(o, peer, keyId);
    } catch (e) {
      if (!(e instanceof CloisterError) || e instanceof TeeError) throw e; // a bug or our own evidence: no peer can help
      const peerCode = typeof e.detail?.code === 'string' ? e.detail.code : undefined;
      failures.push({ replicaId: peer.replicaId, url: peer.url, code: peerCode ?? e.code, message: e.message });
    }
  }
  throw new CoordinatorError(
    'REPLICA_KEY_UNAVAILABLE',
    `no live replica could hand over the data key ${keyId} (${peers.length} asked${failures.map((f) => `; ${f.replicaId}: ${f.code}`).join('')}); start the first replica, or recover`,
    { detail: { keyId, failures } },
  );
}

async function exchangeWith(o: ObtainDataKeyOptions, peer: LiveReplica, keyId: string): Promise<Uint8Array> {
  const nonce = await o.client.nonce(peer.url);
  const kp = x25519KeyPair(o.random);
  const ev = await o.evidence.getEvidence(replicaKeyReportData(kp.publicKeySpki, nonce));
  const answer = await o.client.dataKey(peer.url, {
    nonce: toHex(nonce),
    evidence: { tee: ev.tee, data: Buffer.from(ev.evidence).toString('base64'), certs: ev.certs === undefined ? [] : [Buffer.from(ev.certs).toString('base64')] },
    publicKey: createPublicKey({ key: Buffer.from(kp.publicKeySpki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString(),
  });
  const dataKey = openReplicaKey({ envelope: answer.envelope, privateKey: kp.privateKey, nonce });
  // The decrypted key's own id decides, not what the peer claims.
  const got = toHex(dataKeyId(dataKey));
  if (got !== keyId) {
    throw new CoordinatorError('REPLICA_KEY_MISMATCH', `replica ${peer.replicaId} handed over a data key with key id ${got}, want ${keyId} (${STATE_KEY_ID_KEY})`);
  }
  return dataKey;
}
