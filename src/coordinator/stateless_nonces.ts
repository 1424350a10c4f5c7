import { createHmac, hkdfSync } from 'node:crypto';
import { concatBytes, constantTimeEqual, toHex } from '../common/bytes.js';
import type { Clock, Random } from '../common/clock.js';
import type { CommitOps, Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';
import type { NonceRegistry } from './nonces.js';

/**
 * Nonces that every replica can check without shared memory, so a client may get its nonce
 * from one replica and activate on another (issue #8). A nonce is 32 bytes:
 *
 *   expiry (u64 BE, ms since the epoch) | 8 random bytes | first 16 bytes of
 *   HMAC-SHA256(macKey, "cloister/nonce/v1" 0x00 || expiry || random)
 *
 * macKey = HKDF-SHA256(dataKey, salt empty, info "cloister/nonce-mac/v1"): every replica holding
 * the state's data key derives the same MAC key, nobody else can mint a nonce. A 128-bit tag is
 * enough for a value that lives a minute (forging one blindly is a 2^-128 guess).
 *
 * Single use: `consume` keeps a bounded local set of used nonces (replay on the same replica),
 * and the activation commit merges `usedNonceOps(nonce)` so the store refuses the second use on
 * ANY replica (compare `nonces/used/<hex>` absent). The leader prunes expired records
 * (`pruneUsedNonces`); a record is kept `graceMs` past expiry because another replica's clock
 * may lag and still accept the nonce for that long.
 */
export const NONCE_BYTES = 32;
export const NONCE_MAC_LABEL = 'cloister/nonce-mac/v1';
export const USED_NONCE_PREFIX = 'nonces/used/';
const MAC_DOMAIN = new TextEncoder().encode('cloister/nonce/v1\u0000');
const EXPIRY_BYTES = 8;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;

export interface StatelessNonceOptions {
  readonly dataKey: Uint8Array;
  readonly clock: Clock;
  readonly random: Random;
  readonly ttlMs: number;
  /** most locally remembered used nonces; when full of live ones, consume refuses (fails closed) */
  readonly usedCapacity: number;
  /**
   * How far another replica's clock may run ahead: an expiry later than now + ttlMs + this is
   * refused (a replica with a wrong clock must not mint long-lived nonces). Default 60 s.
   */
  readonly maxClockSkewMs?: number;
}

function macKeyOf(dataKey: Uint8Array): Buffer {
  if (dataKey.byteLength !== 32) throw new CoordinatorError('REQUEST_INVALID', `nonce MAC: data key got ${dataKey.byteLength} bytes, want 32`);
  return Buffer.from(hkdfSync('sha256', dataKey, new Uint8Array(0), NONCE_MAC_LABEL, 32));
}

function mac(macKey: Buffer, expiryAndRandom: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', macKey).update(MAC_DOMAIN).update(expiryAndRandom).digest().subarray(0, MAC_BYTES));
}

/** The expiry a nonce claims (unauthenticated: only meaningful after its MAC was checked). */
export function nonceExpiryMs(nonce: Uint8Array): number | undefined {
  if (nonce.byteLength !== NONCE_BYTES) return undefined;
  const v = Buffer.from(nonce.buffer, nonce.byteOffset, EXPIRY_BYTES).readBigUInt64BE(0);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

export function createStatelessNonceRegistry(o: StatelessNonceOptions): NonceRegistry {
  if (!(o.ttlMs > 0) || !(o.usedCapacity > 0)) {
    throw new CoordinatorError('REQUEST_INVALID', `stateless nonces: ttlMs ${o.ttlMs} and usedCapacity ${o.usedCapacity} must be positive`);
  }
  const macKey = macKeyOf(o.dataKey);
  const skew = o.maxClockSkewMs ?? 60_000;
  // hex -> expiry ms; insertion order is close to expiry order (one ttl for all nonces)
  const used = new Map<string, number>();

  function prune(now: number, full: boolean): void {
    for (const [k, expiry] of used) {
      if (expiry <= now) used.delete(k);
      else if (!full) break;
    }
  }

  return {
    issue() {
      const expiresAt = o.clock.now().getTime() + o.ttlMs;
      const head = Buffer.alloc(EXPIRY_BYTES + RANDOM_BYTES);
      head.writeBigUInt64BE(BigInt(expiresAt), 0);
      const rnd = o.random.bytes(RANDOM_BYTES);
      if (rnd.byteLength !== RANDOM_BYTES) throw new CoordinatorError('REQUEST_INVALID', `nonce randomness: got ${rnd.byteLength} bytes, want ${RANDOM_BYTES}`);
      head.set(rnd, EXPIRY_BYTES);
      return { nonce: concatBytes(head, mac(macKey, head)), expiresAt: new Date(expiresAt) };
    },
    consume(nonce) {
      if (!(nonce instanceof Uint8Array) || nonce.byteLength !== NONCE_BYTES) return false;
      const head = nonce.subarray(0, EXPIRY_BYTES + RANDOM_BYTES);
      if (!constantTimeEqual(mac(macKey, head), nonce.subarray(EXPIRY_BYTES + RANDOM_BYTES))) return false;
      const now = o.clock.now().getTime();
      const expiry = nonceExpiryMs(nonce);
      if (expiry === undefined || expiry <= now || expiry > now + o.ttlMs + skew) return false;
      const key = toHex(nonce);
      prune(now, false);
      if (used.has(key)) return false;
      if (used.size >= o.usedCapacity) {
        prune(now, true);
        // Full of live used nonces: refusing is safe (the client asks for a fresh one), forgetting is not.
        if (used.size >= o.usedCapacity) return false;
      }
      used.set(key, expiry);
      return true;
    },
    get size() {
      return used.size;
    },
  };
}

/** The store key that marks a nonce used across replicas. */
export function usedNonceKey(nonce: Uint8Array): string {
  return `${USED_NONCE_PREFIX}${toHex(nonce)}`;
}

/**
 * The commit fragment that makes a nonce single-use across replicas: merged into the
 * activation commit, it fails that commit when any replica already used the nonce.
 * The value records the expiry for humans; pruning reads it from the key (the nonce itself).
 */
export function usedNonceOps(nonce: Uint8Array): Pick<CommitOps, 'compare' | 'put'> {
  const expiry = nonceExpiryMs(nonce);
  if (expiry === undefined) throw new CoordinatorError('NONCE_INVALID', `nonce: got ${nonce.byteLength} bytes, want ${NONCE_BYTES} with a valid expiry`);
  const key = usedNonceKey(nonce);
  return {
    compare: [{ key, revision: 0n }],
    put: [{ key, value: new TextEncoder().encode(JSON.stringify({ expiresAt: new Date(expiry).toISOString() })) }],
  };
}

/** Deletes at most this many keys per commit (etcd's default --max-txn-ops is 128). */
const PRUNE_BATCH = 100;

/**
 * For the leader: deletes used-nonce records whose nonce expired more than `graceMs` ago
 * (default 60 s, the clock skew replicas tolerate). Returns how many were deleted. A record
 * whose key does not carry a nonce is left alone: it is not ours to judge.
 */
export async function pruneUsedNonces(store: Pick<Store, 'list' | 'commit'>, now: Date, o: { graceMs?: number } = {}): Promise<number> {
  const cutoff = now.getTime() - (o.graceMs ?? 60_000);
  const expired: string[] = [];
  for (const e of await store.list(USED_NONCE_PREFIX)) {
    const hex = e.key.slice(USED_NONCE_PREFIX.length);
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    const expiry = nonceExpiryMs(Buffer.from(hex, 'hex'));
    if (expiry !== undefined && expiry < cutoff) expired.push(e.key);
  }
  for (let i = 0; i < expired.length; i += PRUNE_BATCH) {
    await store.commit({ compare: [], put: [], delete: expired.slice(i, i + PRUNE_BATCH) });
  }
  return expired.length;
}
