import type { Clock } from '../common/clock.js';

/**
 * Token bucket per client key (remote address): `burst` requests at once, refilled at
 * `perSecond`. The table is bounded; idle clients are forgotten first.
 */
export interface RateLimiter {
  /** true when the request may proceed; otherwise the seconds until a token is available. */
  take(client: string): true | { retryAfterSeconds: number };
}

export function createRateLimiter(o: { clock: Clock; perSecond: number; burst: number; maxClients?: number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const max = o.maxClients ?? 10_000;
  return {
    take(client) {
      const now = o.clock.now().getTime();
      let b = buckets.get(client);
      if (b === undefined) {
        if (buckets.size >= max) buckets.delete(buckets.keys().next().value as string);
        b = { tokens: o.burst, at: now };
      } else buckets.delete(client); // re-insert below: Map order tracks recency
      b.tokens = Math.min(o.burst, b.tokens + ((now - b.at) / 1000) * o.perSecond);
      b.at = now;
      buckets.set(client, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return true;
      }
      return { retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / o.perSecond)) };
    },
  };
}
