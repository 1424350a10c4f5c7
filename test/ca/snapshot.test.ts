import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { csrFromKey, issueLeaf, loadCa, revoke, snapshotCa, type Ca } from '../../src/ca/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { chainVerifies, makeCa, nodeCert, NOW } from './fixtures.js';

let ca: Ca;
let other: Ca;
before(async () => {
  ca = revoke(await makeCa({ keyType: 'ecdsa-p384' }), '0a0b', 'superseded', NOW);
  other = await makeCa({ keyType: 'ecdsa-p384', name: 'Other' });
});

test('snapshot survives JSON and reloads a CA that issues leaves chaining to the same root', async () => {
  const json = JSON.stringify(snapshotCa(ca));
  assert.equal(json.includes('"version":1'), true);
  const loaded = await loadCa(JSON.parse(json));
  assert.equal(loaded.name, ca.name);
  assert.equal(loaded.keyType, 'ecdsa-p384');
  assert.equal(loaded.root.certPem, ca.root.certPem);
  assert.equal(loaded.intermediate.keyId, ca.intermediate.keyId);
  assert.deepEqual(loaded.revoked, ca.revoked);
  assert.deepEqual(snapshotCa(loaded), snapshotCa(ca));
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  const leaf = await issueLeaf(loaded, { csrPem, subjectCn: 'w', sans: {}, now: NOW });
  assert.ok(chainVerifies(nodeCert(leaf.certPem), nodeCert(ca.intermediate.certPem), nodeCert(ca.root.certPem)));
});

test('mixed-up, corrupted or malformed snapshots are CA_SNAPSHOT_INVALID', async () => {
  const s = snapshotCa(ca);
  const o = snapshotCa(other);
  const cases: Array<[string, unknown]> = [
    ['root key of another CA', { ...s, root: { ...s.root, privateKeyPem: o.root.privateKeyPem } }],
    ['intermediate key of another CA', { ...s, intermediate: { ...s.intermediate, privateKeyPem: o.intermediate.privateKeyPem } }],
    ['intermediate of another CA (with its key)', { ...s, intermediate: o.intermediate }],
    ['root and intermediate swapped', { ...s, root: s.intermediate, intermediate: s.root }],
    ['P-384 keys declared as P-256', { ...s, keyType: 'ecdsa-p256' }],
    ['garbage PEM', { ...s, root: { ...s.root, certPem: 'nope' } }],
    ['missing field', { ...s, intermediate: undefined }],
    ['unknown field', { ...s, extra: 1 }],
    ['wrong version', { ...s, version: 2 }],
    ['bad revocation date', { ...s, revoked: [{ serial: '01', reason: 'superseded', revokedAt: 'yesterday' }] }],
    ['bad revocation serial', { ...s, revoked: [{ serial: 'zz', reason: 'superseded', revokedAt: NOW.toISOString() }] }],
    ['not an object', 'ca'],
  ];
  for (const [what, snap] of cases) await assertRejectsCode(() => loadCa(snap), 'CA_SNAPSHOT_INVALID', what);
});
