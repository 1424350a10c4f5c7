import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeSignedRequestHeader, encodeSignedRequestHeader, signRequest, verifySignedRequest, type SignedRequestAuth } from '../../src/governance/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { MODEL, NOW, privateKeyOf } from './fixtures.js';

const REQ = { method: 'post', path: '/api/v1/secrets/db-password', body: new TextEncoder().encode('{"value":"s3cret"}') };
const SKEW = 60_000;

function fresh(): { seen: Set<string>; seenNonce: (u: string, n: string) => boolean } {
  const seen = new Set<string>();
  return { seen, seenNonce: (u, n) => (seen.has(`${u}/${n}`) ? true : (seen.add(`${u}/${n}`), false)) };
}
const sign = (user: 'alice' | 'bob' | 'carol' | 'dave' = 'alice', time = NOW): SignedRequestAuth =>
  signRequest(REQ, { user, privateKey: privateKeyOf(user), time, nonce: randomBytes(16) });

test('a signed request verifies through its header once, for every key type', () => {
  for (const user of ['alice', 'bob', 'carol', 'dave'] as const) {
    const auth = decodeSignedRequestHeader(encodeSignedRequestHeader(sign(user)));
    const cache = fresh();
    const r = verifySignedRequest(MODEL, { ...REQ, method: 'POST' }, auth, { now: NOW, maxSkewMs: SKEW, ...cache });
    assert.deepEqual(r.principal, { kind: 'user', name: user });
    assert.equal(r.rememberUntil.getTime(), NOW.getTime() + SKEW);
    assertThrowsCode(() => verifySignedRequest(MODEL, REQ, auth, { now: NOW, maxSkewMs: SKEW, ...cache }), 'GOVERNANCE_REQUEST_REPLAYED');
  }
});

test('changing method, path, body, time, nonce or user breaks the signature', () => {
  const auth = sign();
  const v = (req = REQ, a = auth) => verifySignedRequest(MODEL, req, a, { now: NOW, maxSkewMs: SKEW, ...fresh() });
  assertThrowsCode(() => v({ ...REQ, method: 'PUT' }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assertThrowsCode(() => v({ ...REQ, path: '/api/v1/secrets/other' }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assertThrowsCode(() => v({ ...REQ, body: new TextEncoder().encode('{"value":"evil"}') }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assertThrowsCode(() => v(REQ, { ...auth, time: new Date(NOW.getTime() + 1).toISOString() }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assertThrowsCode(() => v(REQ, { ...auth, nonce: '00'.repeat(16) }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assertThrowsCode(() => v(REQ, { ...auth, user: 'bob' }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assertThrowsCode(() => v(REQ, { ...auth, user: 'mallory' }), 'GOVERNANCE_USER_UNKNOWN');
});

test('a forged request does not burn its nonce; skew and malformed headers are refused', () => {
  const auth = sign();
  const cache = fresh();
  assertThrowsCode(() => verifySignedRequest(MODEL, { ...REQ, path: '/x' }, auth, { now: NOW, maxSkewMs: SKEW, ...cache }), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  assert.equal(cache.seen.size, 0);
  verifySignedRequest(MODEL, REQ, auth, { now: NOW, maxSkewMs: SKEW, ...cache });
  for (const off of [SKEW + 1, -(SKEW + 1)]) {
    assertThrowsCode(() => verifySignedRequest(MODEL, REQ, auth, { now: new Date(NOW.getTime() + off), maxSkewMs: SKEW, ...fresh() }), 'GOVERNANCE_REQUEST_SKEW');
  }
  for (const maxSkewMs of [0, -1, Number.NaN, 16 * 60_000]) {
    assertThrowsCode(() => verifySignedRequest(MODEL, REQ, auth, { now: NOW, maxSkewMs, ...fresh() }), 'GOVERNANCE_REQUEST_SKEW');
  }
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const bad = ['', 'not base64!', enc([]), enc({ ...auth, extra: 1 }), enc({ ...auth, time: 'now' }), enc({ ...auth, nonce: 'ab' }), enc({ ...auth, signature: 'XY' }), enc({ ...auth, user: '' }), 'A'.repeat(5000)];
  for (const h of bad) assertThrowsCode(() => decodeSignedRequestHeader(h), 'GOVERNANCE_REQUEST_MALFORMED', h.slice(0, 40));
});
