import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signApproval, tally, verifyApproval, type ChangeKind } from '../../src/governance/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { CERT_NOT_AFTER, MODEL, NOW, privateKeyOf } from './fixtures.js';

const HASH = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);
const FULL: ChangeKind = { kind: 'manifest-update', reason: 'workloads changed' };
const PKG: ChangeKind = { kind: 'package-update', packages: ['api'] };
const ctx = { now: NOW };

test('approvals by every key type verify (ECDSA P-256/P-384, Ed25519, RSA-PSS, certificate)', () => {
  for (const user of ['alice', 'bob', 'carol', 'dave', 'eve'] as const) {
    verifyApproval(MODEL, HASH, signApproval(user, privateKeyOf(user), HASH), ctx);
  }
});

test('approval rejection paths', () => {
  const a = signApproval('alice', privateKeyOf('alice'), HASH);
  assertThrowsCode(() => verifyApproval(MODEL, OTHER, a, ctx), 'GOVERNANCE_APPROVAL_SIGNATURE_INVALID');
  assertThrowsCode(() => verifyApproval(MODEL, HASH, { ...a, user: 'bob' }, ctx), 'GOVERNANCE_APPROVAL_SIGNATURE_INVALID');
  assertThrowsCode(() => verifyApproval(MODEL, HASH, { ...a, user: 'mallory' }, ctx), 'GOVERNANCE_USER_UNKNOWN');
  assertThrowsCode(() => verifyApproval(MODEL, HASH, { ...a, signature: 'XYZ' }, ctx), 'GOVERNANCE_APPROVAL_MALFORMED');
  assertThrowsCode(() => verifyApproval(MODEL, HASH, { ...a, signature: '00' }, ctx), 'GOVERNANCE_APPROVAL_SIGNATURE_INVALID');
  assertThrowsCode(() => verifyApproval(MODEL, 'AB'.repeat(32), a, ctx), 'GOVERNANCE_APPROVAL_MALFORMED');
  const d = signApproval('dave', privateKeyOf('dave'), HASH);
  assertThrowsCode(() => verifyApproval(MODEL, HASH, d, { now: new Date(CERT_NOT_AFTER.getTime() + 1000) }), 'GOVERNANCE_CERTIFICATE_EXPIRED');
  assertThrowsCode(() => verifyApproval(MODEL, HASH, d, { now: new Date('2024-01-01T00:00:00Z') }), 'GOVERNANCE_CERTIFICATE_EXPIRED');
});

test('tally counts distinct approvers with the approve permission for the change kind', () => {
  const sig = (u: 'alice' | 'bob' | 'carol' | 'dave' | 'eve', h = HASH) => signApproval(u, privateKeyOf(u), h);
  let t = tally(MODEL, { hash: HASH, change: FULL }, [sig('alice'), sig('alice'), sig('alice')], ctx);
  assert.deepEqual(t, { approvedBy: ['alice'], needed: 2, reached: false, rejected: [] });
  t = tally(MODEL, { hash: HASH, change: FULL }, [sig('alice'), sig('dave'), sig('eve'), sig('bob', OTHER), { user: 'zed', signature: '00' }], ctx);
  assert.deepEqual(t.approvedBy, ['alice']);
  assert.equal(t.reached, false);
  assert.deepEqual(t.rejected.map((r) => `${r.user}:${r.code}`), [
    'dave:GOVERNANCE_NOT_AUTHORIZED',
    'eve:GOVERNANCE_NOT_AUTHORIZED',
    'bob:GOVERNANCE_APPROVAL_SIGNATURE_INVALID',
    'zed:GOVERNANCE_USER_UNKNOWN',
  ]);
  t = tally(MODEL, { hash: HASH, change: FULL }, [sig('carol'), sig('bob')], ctx);
  assert.deepEqual({ by: t.approvedBy, reached: t.reached }, { by: ['bob', 'carol'], reached: true });
  // A package update needs one approval, and dave (approve: package) counts for it.
  t = tally(MODEL, { hash: HASH, change: PKG }, [sig('dave')], ctx);
  assert.deepEqual({ by: t.approvedBy, needed: t.needed, reached: t.reached }, { by: ['dave'], needed: 1, reached: true });
  // A bad signature first and a good one later from the same user still counts once.
  t = tally(MODEL, { hash: HASH, change: FULL }, [sig('alice', OTHER), sig('alice'), sig('bob')], ctx);
  assert.deepEqual(t.approvedBy, ['alice', 'bob']);
  assertThrowsCode(() => tally(MODEL, { hash: HASH, change: { kind: 'none' } }, [], ctx), 'GOVERNANCE_PROPOSAL_EMPTY');
  assertThrowsCode(() => tally(MODEL, { hash: 'nope', change: FULL }, [], ctx), 'GOVERNANCE_APPROVAL_MALFORMED');
});
