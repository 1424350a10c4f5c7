import { constantTimeEqual, toHex } from '../common/bytes.js';
import type { Clock, Random } from '../common/clock.js';

/**
 * Single-use activation nonces. A nonce is issued to one client, lives `ttlMs`, and is
 * consumed by the first activation that presents it, whatever its outcome — so evidence
 * bound to it can never be replayed. Bounded: at most `capacity` outstanding nonces
 * (the oldest are dropped first), so a flood of nonce requests cannot grow memory.
 */
export interface NonceRegistry {
  issue(): { nonce: Uint8Array; expiresAt: Date };
  /** true once for a live nonce issued here; false for unknown, expired or already used. */
  consume(nonce: Uint8Array): boolean;
  readonly size: number;
}

export function createNonceRegistry(o: { clock: Clock; random: Random; ttlMs: number; capacity: number }): NonceRegistry {
  const live = new Map<string, { nonce: Uint8Array; expiresAt: number }>();
  function prune(now: number): void {
    for (const [k, v] of live) {
      if (v.expiresAt > now && live.size <= o.capacity) break; // insertion order = expiry order
      live.delete(k);
    }
  }
  return {
    issue() {
      const now = o.clock.now().getTime();
      const nonce = o.random.bytes(32);
      const expiresAt = now + o.ttlMs;
      live.set(toHex(nonce), { nonce, expiresAt });
      prune(now);
      return { nonce, expiresAt: new Date(expiresAt) };
    },
    consume(nonce) {
      if (nonce.length !== 32) return false;
      const key = toHex(nonce);
      const entry = live.get(key);
      if (entry === undefined) return false;
      live.delete(key);
      return constantTimeEqual(entry.nonce, nonce) && entry.expiresAt > o.clock.now().getTime();
    },
    get size() {
      return live.size;
    },
  };
}
