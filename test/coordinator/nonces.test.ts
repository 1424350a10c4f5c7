import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createNonceRegistry } from '../../src/coordinator/nonces.js';
import { createRateLimiter } from '../../src/coordinator/rate_limit.js';

function clockAt(ms: number) {
  const c = { t: ms, now: () => new Date(c.t) };
  return c;
}
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };

test('nonces are single use, expire, and are bounded', () => {
  const clock = clockAt(1_000_000);
  const reg = createNonceRegistry({ clock, random, ttlMs: 60_000, capacity: 3 });
  const a = reg.issue();
  assert.equal(reg.consume(a.nonce), true);
  assert.equal(reg.consume(a.nonce), false, 'replay');
  const b = reg.issue();
  clock.t += 60_001;
  assert.equal(reg.consume(b.nonce), false, 'expired');
  assert.equal(reg.consume(randomBytes(32)), false, 'unknown');
  assert.equal(reg.consume(randomBytes(31)), false, 'wrong length');
  const issued = [reg.issue(), reg.issue(), reg.issue(), reg.issue()];
  assert.ok(reg.size <= 3);
  assert.equal(reg.consume(issued[0]!.nonce), false, 'oldest dropped at capacity');
  assert.equal(reg.consume(issued[3]!.nonce), true);
});

test('rate limiter allows a burst, then refills over time, per client', () => {
  const clock = clockAt(0);
  const rl = createRateLimiter({ clock, perSecond: 2, burst: 3 });
  assert.equal(rl.take('a'), true);
  assert.equal(rl.take('a'), true);
  assert.equal(rl.take('a'), true);
  const denied = rl.take('a');
  assert.notEqual(denied, true);
  assert.equal(rl.take('b'), true, 'other clients unaffected');
  clock.t += 500;
  assert.equal(rl.take('a'), true);
  assert.notEqual(rl.take('a'), true);
});
