import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTIONS, authorize, requireAuthorized, type Action, type Principal } from '../../src/governance/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { MODEL } from './fixtures.js';

const U = (name: string): Principal => ({ kind: 'user', name });

/** Expected allow (true) per principal per action (resource-free call). */
const MATRIX: Record<string, Record<Action, boolean>> = {
  alice: { 'manifest.update': true, 'package.update': false, 'secret.read': false, 'secret.write': false, approve: true, 'audit.read': true, recover: false, 'status.read': true },
  dave: { 'manifest.update': false, 'package.update': false, 'secret.read': false, 'secret.write': false, approve: false, 'audit.read': false, recover: false, 'status.read': false },
  eve: { 'manifest.update': false, 'package.update': false, 'secret.read': false, 'secret.write': false, approve: false, 'audit.read': true, recover: true, 'status.read': false },
  mallory: Object.fromEntries(ACTIONS.map((a) => [a, false])) as Record<Action, boolean>,
};

test('authorization matrix: every action as every user (no resource)', () => {
  for (const [user, row] of Object.entries(MATRIX)) {
    for (const action of ACTIONS) {
      const d = authorize(MODEL, U(user), action);
      assert.equal(d.allow, row[action], `${user} ${action}: ${d.reason}`);
      assert.ok(d.reason.length > 0);
    }
  }
});

test('anonymous callers and workloads are denied every action, with a reason', () => {
  const workload: Principal = { kind: 'workload', name: 'api', instanceId: '3' };
  for (const action of ACTIONS) {
    for (const p of [{ kind: 'anonymous' } as Principal, workload]) {
      const d = authorize(MODEL, p, action, 'db-password');
      assert.equal(d.allow, false);
      assert.match(d.reason, p.kind === 'anonymous' ? /anonymous/ : /workload api\/3/);
    }
  }
});

test('scoped permissions cover exactly their resources (exact names and prefix*)', () => {
  const cases: Array<[Action, string, boolean]> = [
    ['secret.read', 'db-password', true],
    ['secret.read', 'db-user', true],
    ['secret.read', 'api-token', false],
    ['secret.read', 'db', false],
    ['secret.write', 'db-password', true],
    ['secret.write', 'db-user', false],
    ['package.update', 'api', true],
    ['package.update', 'api2', false],
    ['approve', 'package', true],
    ['approve', 'manifest', false],
  ];
  for (const [action, res, want] of cases) assert.equal(authorize(MODEL, U('dave'), action, res).allow, want, `${action} ${res}`);
  // Unscoped permission (alice: approve without resources) covers every change kind.
  assert.equal(authorize(MODEL, U('alice'), 'approve', 'package').allow, true);
  const d = authorize(MODEL, U('alice'), 'manifest.update');
  assert.deepEqual(d.allow && d.role, 'owners');
});

test('requireAuthorized throws GOVERNANCE_NOT_AUTHORIZED with the reason', () => {
  assert.deepEqual(requireAuthorized(MODEL, U('eve'), 'recover'), { role: 'auditors' });
  const e = assertThrowsCode(() => requireAuthorized(MODEL, U('eve'), 'secret.read', 'db-password'), 'GOVERNANCE_NOT_AUTHORIZED');
  assert.equal(e.detail?.action, 'secret.read');
  assertThrowsCode(() => requireAuthorized(MODEL, { kind: 'anonymous' }, 'status.read'), 'GOVERNANCE_NOT_AUTHORIZED');
});
