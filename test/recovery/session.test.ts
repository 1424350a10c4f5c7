import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Random } from '../../src/common/clock.js';
import { RecoverySession, decodeShareSetInfo, encodeShare, encodeShareSetInfo, shareDigest, splitSecret } from '../../src/recovery/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const random: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };
const SECRET = new Uint8Array(randomBytes(32));

test('shares in any order reach the threshold and yield the secret', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 4 }), fc.nat(), (k, extra, rot) => {
      const { info, shares } = splitSecret(SECRET, k + extra, k, random);
      const s = new RecoverySession(decodeShareSetInfo(encodeShareSetInfo(info)));
      const order = shares.map((_, i) => shares[(i + rot) % shares.length]!);
      for (let i = 0; i < k - 1; i++) assert.equal(s.submit(order[i]!).status, 'collecting');
      const done = s.submit(encodeShare(order[k - 1]!));
      assert.equal(done.status, 'complete');
      assert.deepEqual(done.status === 'complete' && done.secret, SECRET);
      assert.equal(done.have, k);
      assertThrowsCode(() => s.submit(order[k % order.length]!), 'RECOVERY_SESSION_COMPLETE');
    }),
    { numRuns: 60 },
  );
});

test('wrong, duplicate, foreign and malformed shares are rejected and change nothing', () => {
  const { info, shares } = splitSecret(SECRET, 5, 3, random);
  const other = splitSecret(SECRET, 5, 3, random).shares;
  const s = new RecoverySession(info);
  assert.deepEqual(s.submit(shares[0]!), { status: 'collecting', have: 1, need: 3, accepted: [1] });
  const before = s.progress;
  const flipped = { ...shares[1]!, value: shares[1]!.value.map((v, i) => (i === 5 ? v ^ 0x80 : v)) };
  assertThrowsCode(() => s.submit(flipped), 'RECOVERY_SHARE_CORRUPT');
  assertThrowsCode(() => s.submit({ ...shares[1]!, index: 3 }), 'RECOVERY_SHARE_CORRUPT');
  assertThrowsCode(() => s.submit(shares[0]!), 'RECOVERY_SHARE_DUPLICATE');
  assertThrowsCode(() => s.submit(other[1]!), 'RECOVERY_SHARE_FOREIGN');
  assertThrowsCode(() => s.submit({ ...shares[1]!, threshold: 2 }), 'RECOVERY_SHARE_INCONSISTENT');
  assertThrowsCode(() => s.submit({ ...shares[1]!, check: '00'.repeat(32) }), 'RECOVERY_SHARE_INCONSISTENT');
  assertThrowsCode(() => s.submit(new Uint8Array([1, 2, 3])), 'RECOVERY_SHARE_MALFORMED');
  assertThrowsCode(() => s.submit({ ...shares[1]!, index: 9 }), 'RECOVERY_SHARE_MALFORMED');
  assert.deepEqual(s.progress, before);
  // The caller reusing its buffer after submit cannot change an accepted share.
  const mine = { ...shares[1]!, value: new Uint8Array(shares[1]!.value) };
  s.submit(mine);
  mine.value.fill(0);
  const done = s.submit(shares[4]!);
  assert.equal(done.status, 'complete');
  assert.deepEqual(done.status === 'complete' && done.secret, SECRET);
  assert.deepEqual(done.accepted, [1, 2, 5]);
});

test('a forged share-set description cannot produce a secret that passes the check', () => {
  const { info, shares } = splitSecret(SECRET, 3, 2, random);
  // Operator swaps share 2's digest for a forged share's digest: the forged share is accepted
  // as matching, but the combination fails its check and the session stays as it was.
  const forged = { ...shares[1]!, value: new Uint8Array(32).fill(1) };
  const s = new RecoverySession({ ...info, shareDigests: [info.shareDigests[0]!, shareDigest(forged), info.shareDigests[2]!] });
  s.submit(shares[0]!);
  assertThrowsCode(() => s.submit(forged), 'RECOVERY_SECRET_CHECK_FAILED');
  assert.deepEqual(s.progress.accepted, [1]);
  const done = s.submit(shares[2]!);
  assert.equal(done.status, 'complete');
});

test('share-set descriptions are validated', () => {
  const { info } = splitSecret(SECRET, 3, 2, random);
  const bad = [
    { ...info, threshold: 4 },
    { ...info, total: 0 },
    { ...info, setId: 'zz' },
    { ...info, check: 'AB'.repeat(32) },
    { ...info, shareDigests: info.shareDigests.slice(1) },
    { ...info, shareDigests: [info.shareDigests[0]!, info.shareDigests[0]!, info.shareDigests[2]!] },
    { ...info, extra: 1 },
  ];
  for (const b of bad) assertThrowsCode(() => new RecoverySession(b), 'RECOVERY_PARAMS_INVALID', JSON.stringify(b));
  assertThrowsCode(() => decodeShareSetInfo(new TextEncoder().encode('{')), 'RECOVERY_PARAMS_INVALID');
});
