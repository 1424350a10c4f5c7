import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { governanceOf } from '../../src/governance/index.js';
import { manifestHash, validateManifest } from '../../src/manifest/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const pub = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const BASE = {
  packages: { app: { simulated: { measurements: ['ab'.repeat(48)] } } },
  workloads: { api: { package: 'app' } },
  secrets: { token: { type: 'user' } },
};

test('a manifest without governance hashes as before: no governance field is added by defaults', () => {
  const m = validateManifest(structuredClone(BASE));
  for (const k of ['users', 'roles', 'approvals', 'recovery']) assert.equal(k in m, false, k);
  assert.equal('caRollOnUpdate' in m.config, false);
  assert.deepEqual(governanceOf(m).users, {});
  assert.equal(governanceOf(m).approvals.manifestUpdate, 1);
});

test('users, roles, approvals and recovery validate inside the manifest and change its hash', () => {
  const withGov = validateManifest({
    ...structuredClone(BASE),
    users: { alice: { publicKey: pub() }, bob: { publicKey: pub() } },
    roles: { owners: { users: ['alice', 'bob'], permissions: [{ action: 'manifest.update' }, { action: 'approve' }, { action: 'secret.write', resources: ['token'] }] } },
    approvals: { manifestUpdate: 2 },
  });
  const g = governanceOf(withGov);
  assert.deepEqual(Object.keys(g.users), ['alice', 'bob']);
  assert.equal(g.approvals.manifestUpdate, 2);
  assert.equal(g.approvals.packageUpdate, 1);
  assert.notEqual(manifestHash(withGov), manifestHash(validateManifest(structuredClone(BASE))));
});

test('governance cross-references are manifest errors: undeclared user, unknown secret, unreachable threshold', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['undeclared role member', { users: { alice: { publicKey: pub() } }, roles: { r: { users: ['mallory'], permissions: [{ action: 'approve' }] } } }],
    ['unknown secret resource', { users: { alice: { publicKey: pub() } }, roles: { r: { users: ['alice'], permissions: [{ action: 'secret.read', resources: ['nope'] }] } } }],
    ['unreachable quorum', { users: { alice: { publicKey: pub() } }, roles: { r: { users: ['alice'], permissions: [{ action: 'approve' }] } }, approvals: { manifestUpdate: 2 } }],
    ['misspelt field', { users: { alice: { publicKey: pub(), extra: 1 } } }],
    ['bad key', { users: { alice: { publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' } } }],
  ];
  for (const [what, gov] of cases) {
    assertThrowsCode(() => validateManifest({ ...structuredClone(BASE), ...gov }), 'MANIFEST_INVALID', what);
  }
});
