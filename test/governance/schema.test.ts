import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { z } from 'zod';
import { approversFor, governanceIssues, governanceShape, parseGovernance } from '../../src/governance/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { INPUT, MODEL } from './fixtures.js';

const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }) as string;

test('a full governance section validates; defaults apply to an empty one', () => {
  assert.deepEqual(approversFor(MODEL, 'manifest'), ['alice', 'bob', 'carol']);
  assert.deepEqual(approversFor(MODEL, 'package'), ['alice', 'bob', 'carol', 'dave']);
  assert.deepEqual(parseGovernance({}), { users: {}, roles: {}, approvals: { manifestUpdate: 1, packageUpdate: 1 } });
  // The shape spreads into a larger strict object (how the manifest will include it).
  const manifestLike = z.strictObject({ packages: z.record(z.string(), z.unknown()), ...governanceShape });
  assert.equal(manifestLike.parse({ packages: {}, ...INPUT }).approvals.manifestUpdate, 2);
});

test('every schema and cross-reference problem is GOVERNANCE_INVALID with its path', () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bad: Array<[string, unknown, string]> = [
    ['unknown key', { ...INPUT, owners: {} }, ''],
    ['user with both', { users: { a: { publicKey: INPUT.users!.alice!.publicKey, certificate: '-----BEGIN CERTIFICATE-----x' } } }, 'users.a'],
    ['user with neither', { users: { a: {} } }, 'users.a'],
    ['garbage key', { users: { a: { publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' } } }, 'users.a.publicKey'],
    ['weak RSA user key', { users: { a: { publicKey: pem(rsa1024.publicKey) } } }, 'users.a.publicKey'],
    ['bad user name', { users: { '-x': { publicKey: INPUT.users!.alice!.publicKey } } }, 'users.-x'],
    ['undeclared role member', { ...INPUT, roles: { r: { users: ['zed'], permissions: [{ action: 'audit.read' }] } } }, 'roles.r.users.0'],
    ['unknown action', { ...INPUT, roles: { r: { users: ['alice'], permissions: [{ action: 'root' }] } } }, 'roles.r.permissions.0.action'],
    ['resources on an unscoped action', { ...INPUT, roles: { r: { users: ['alice'], permissions: [{ action: 'audit.read', resources: ['x'] }] } } }, 'roles.r.permissions.0.resources'],
    ['bad approve resource', { ...INPUT, roles: { r: { users: ['alice'], permissions: [{ action: 'approve', resources: ['secrets'] }] } } }, 'roles.r.permissions.0.resources.0'],
    ['bad resource pattern', { ...INPUT, roles: { r: { users: ['alice'], permissions: [{ action: 'secret.read', resources: ['a*b'] }] } } }, 'roles.r.permissions.0.resources.0'],
    ['unreachable threshold', { ...INPUT, approvals: { manifestUpdate: 4, packageUpdate: 1 } }, 'approvals.manifestUpdate'],
    ['zero threshold', { ...INPUT, approvals: { manifestUpdate: 0 } }, 'approvals.manifestUpdate'],
    ['recovery threshold above keys', { ...INPUT, recovery: { threshold: 3, keys: INPUT.recovery!.keys } }, 'recovery.threshold'],
    ['EC recovery key', { ...INPUT, recovery: { threshold: 1, keys: { k: pem(ec.publicKey) } } }, 'recovery.keys.k'],
    ['weak RSA recovery key', { ...INPUT, recovery: { threshold: 1, keys: { k: pem(rsa1024.publicKey) } } }, 'recovery.keys.k'],
  ];
  for (const [what, input, path] of bad) {
    const e = assertThrowsCode(() => parseGovernance(input), 'GOVERNANCE_INVALID', what);
    const paths = (e.detail?.issues as Array<{ path: unknown[] }>).map((i) => i.path.join('.'));
    assert.ok(paths.includes(path), `${what}: paths ${JSON.stringify(paths)} lack '${path}'`);
  }
});

test('governanceIssues checks resources against declared package and secret names when given', () => {
  const names = { packages: ['api'], secrets: ['db-password'] };
  assert.deepEqual(governanceIssues(MODEL, names), []);
  const issues = governanceIssues(MODEL, { packages: ['web'], secrets: [] });
  assert.deepEqual(issues.map((i) => i.path.join('.')).sort(), ['roles.secops.permissions.0.resources.0', 'roles.secops.permissions.3.resources.0']);
});
