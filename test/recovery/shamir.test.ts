import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Random } from '../../src/common/clock.js';
import { combineShares, decodeShare, encodeShare, splitSecret, type Share } from '../../src/recovery/index.js';
import { gfDiv, gfEval, gfInterpolateAtZero, gfInv, gfMul } from '../../src/recovery/gf256.js';
import { assertThrowsCode } from '../support/assert_code.js';

const systemRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };
/** A Random that replays fast-check bytes (cycled), so failures shrink and replay. */
const seeded = (seed: Uint8Array): Random => {
  let i = 0;
  return { bytes: (n) => Uint8Array.from({ length: n }, () => seed[i++ % seed.length]! ^ (i & 0xff)) };
};

/** Reference multiplication with the textbook (branchy) algorithm. */
function slowMul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    const hi = a & 0x80;
    a = (a << 1) & 0xff;
    if (hi) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}

test('GF(2^8): multiplication matches the reference on all 65536 pairs; inverses are inverses', () => {
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (gfMul(a, b) !== slowMul(a, b)) assert.fail(`${a}*${b}`);
  assert.equal(gfMul(0x57, 0x83), 0xc1); // FIPS 197 §4.2 example
  assert.equal(gfInv(0), 0);
  for (let a = 1; a < 256; a++) assert.equal(gfMul(a, gfInv(a)), 1, `inverse of ${a}`);
  assert.equal(gfDiv(gfMul(7, 9), 9), 7);
  const coeffs = [42, 3, 200];
  assert.equal(gfInterpolateAtZero([1, 2, 3], [1, 2, 3].map((x) => gfEval(coeffs, x))), 42);
});

test('any k of n shares reconstruct the secret (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 64 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.uint8Array({ minLength: 8, maxLength: 64 }),
      fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
      (secret, a, b, seed, order) => {
        const n = Math.max(a, b);
        const k = Math.min(a, b);
        const { shares } = splitSecret(secret, n, k, seeded(seed));
        // A pseudo-random subset of k shares in a pseudo-random order.
        const picked = [...shares].sort((x, y) => (order[x.index - 1]! - order[y.index - 1]!) || x.index - y.index).slice(0, k);
        assert.deepEqual(combineShares(picked), secret);
        assert.deepEqual(combineShares(picked.map((s) => decodeShare(encodeShare(s)))), secret);
      },
    ),
    { numRuns: 150 },
  );
});

test('k-1 shares do not reconstruct, and one wrong byte in any share is detected (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 48 }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 0, max: 8 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (secret, k, extra, where, xor) => {
        const n = k + extra;
        const { shares } = splitSecret(secret, n, k, systemRandom);
        assertThrowsCode(() => combineShares(shares.slice(0, k - 1)), 'RECOVERY_SHARES_INSUFFICIENT');
        const victim = where % k;
        const byte = where % secret.length;
        const bad = shares.slice(0, k).map((s, i) => (i === victim ? { ...s, value: s.value.map((v, j) => (j === byte ? v ^ xor : v)) } : s));
        assertThrowsCode(() => combineShares(bad), 'RECOVERY_SECRET_CHECK_FAILED');
      },
    ),
    { numRuns: 100 },
  );
});

test('k-1 shares reveal nothing: their values are uniform whatever the secret (exhaustive)', () => {
  // 2-of-2 through splitSecret: over all 256 coefficients, share 1 takes each byte value exactly
  // once, for secret bytes 0x00 and 0xff alike, so seeing one share says nothing about the secret.
  for (const fill of [0x00, 0xff]) {
    const seen = new Set<number>();
    for (let a = 0; a < 256; a++) {
      let first = true;
      const random: Random = { bytes: (n) => (first ? ((first = false), new Uint8Array(n)) : new Uint8Array(n).fill(a)) };
      seen.add(splitSecret(new Uint8Array(16).fill(fill), 2, 2, random).shares[0]!.value[0]!);
    }
    assert.equal(seen.size, 256, `secret byte ${fill}`);
  }
  // 3-of-n: for any secret byte, (a1, a2) -> (p(1), p(2)) is a bijection on 65536 pairs.
  for (const secret of [0, 0x5a]) {
    const seen = new Set<number>();
    for (let a1 = 0; a1 < 256; a1++) for (let a2 = 0; a2 < 256; a2++) seen.add((gfEval([secret, a1, a2], 1) << 8) | gfEval([secret, a1, a2], 2));
    assert.equal(seen.size, 65536);
  }
});

test('combine rejects foreign, inconsistent, duplicate and malformed shares', () => {
  const secret = new Uint8Array(randomBytes(32));
  const a = splitSecret(secret, 5, 3, systemRandom).shares;
  const b = splitSecret(secret, 5, 3, systemRandom).shares;
  assertThrowsCode(() => combineShares([a[0]!, a[1]!, b[2]!]), 'RECOVERY_SHARE_FOREIGN');
  assertThrowsCode(() => combineShares([a[0]!, a[1]!, { ...a[2]!, threshold: 2 }]), 'RECOVERY_SHARE_INCONSISTENT');
  assertThrowsCode(() => combineShares([a[0]!, a[1]!, { ...a[2]!, check: 'ab'.repeat(32) }]), 'RECOVERY_SHARE_INCONSISTENT');
  assertThrowsCode(() => combineShares([a[0]!, a[1]!, { ...a[2]!, value: a[2]!.value.subarray(0, 16) }]), 'RECOVERY_SHARE_INCONSISTENT');
  assertThrowsCode(() => combineShares([a[0]!, a[1]!, a[1]!]), 'RECOVERY_SHARE_DUPLICATE');
  assertThrowsCode(() => combineShares([]), 'RECOVERY_SHARES_INSUFFICIENT');
  const malformed: Share[] = [
    { ...a[0]!, index: 0 },
    { ...a[0]!, index: 6 },
    { ...a[0]!, setId: 'xyz' },
    { ...a[0]!, value: new Uint8Array(8) },
    { ...a[0]!, threshold: 6 },
  ];
  for (const m of malformed) assertThrowsCode(() => combineShares([m, a[1]!, a[2]!]), 'RECOVERY_SHARE_MALFORMED', JSON.stringify(m));
  // More than k shares: the first k are used.
  assert.deepEqual(combineShares(a), secret);
});

test('share encoding: every truncation and header corruption is RECOVERY_SHARE_MALFORMED', () => {
  const s = splitSecret(new Uint8Array(32).fill(7), 3, 2, systemRandom).shares[0]!;
  const bytes = encodeShare(s);
  assert.deepEqual(decodeShare(bytes), s);
  for (let len = 0; len < bytes.length; len++) assertThrowsCode(() => decodeShare(bytes.subarray(0, len)), 'RECOVERY_SHARE_MALFORMED', `len ${len}`);
  assertThrowsCode(() => decodeShare(new Uint8Array([...bytes, 0])), 'RECOVERY_SHARE_MALFORMED');
  for (const [off, v] of [[0, 0x41], [4, 2], [21, 0], [21, 4], [22, 0], [23, 0], [23, 4], [56, 33]] as const) {
    const t = new Uint8Array(bytes);
    t[off] = v;
    assertThrowsCode(() => decodeShare(t), 'RECOVERY_SHARE_MALFORMED', `offset ${off}`);
  }
});

test('split parameters are checked', () => {
  const secret = new Uint8Array(32);
  for (const [n, k] of [[0, 0], [3, 0], [3, 4], [256, 2], [2.5, 1]] as const) {
    assertThrowsCode(() => splitSecret(secret, n, k, systemRandom), 'RECOVERY_PARAMS_INVALID', `${n}/${k}`);
  }
  assertThrowsCode(() => splitSecret(new Uint8Array(15), 3, 2, systemRandom), 'RECOVERY_PARAMS_INVALID');
  assertThrowsCode(() => splitSecret(new Uint8Array(65), 3, 2, systemRandom), 'RECOVERY_PARAMS_INVALID');
  assertThrowsCode(() => splitSecret(secret, 3, 2, { bytes: () => new Uint8Array(1) }), 'RECOVERY_PARAMS_INVALID');
  // 1-of-n: every share is the secret itself (documented: each holder alone can recover).
  const one = splitSecret(new Uint8Array(16).fill(9), 2, 1, systemRandom);
  assert.deepEqual(combineShares([one.shares[1]!]), new Uint8Array(16).fill(9));
});
