import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { signApproval } from '../../src/governance/index.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { startInProcess, userCredentials } from './support/in_process.js';

/**
 * A package security-version raise is its own kind of change: the secops role may propose it
 * for its package and one approval (approvals.packageUpdate) applies it, while any other change
 * needs the owners' quorum (approvals.manifestUpdate).
 */
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const key = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const users: Record<string, KeyObject> = { alice: key(), bob: key(), dave: key() };

function doc(svn: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    packages: { enclave: { sgx: { mrenclave: ['11'.repeat(32)], minSecurityVersion: svn } } },
    workloads: { api: { package: 'enclave' }, ...extra },
    users: Object.fromEntries(Object.entries(users).map(([n, k]) => [n, { publicKey: createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString() }])),
    roles: {
      owners: { users: ['alice', 'bob'], permissions: [{ action: 'manifest.update' }, { action: 'approve' }] },
      secops: { users: ['dave'], permissions: [{ action: 'package.update', resources: ['enclave'] }, { action: 'approve', resources: ['package'] }] },
    },
    approvals: { manifestUpdate: 2, packageUpdate: 1 },
  });
}

test('secops raises the minimum security version with one approval; a wider change needs the owners', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-pkg-update-'));
  dirs.push(dir);
  const c = await startInProcess(createMemoryStore(), join(dir, 'platform'));
  await c.setManifest(doc(2));
  const as = (name: string) => userCredentials(users[name]!);

  // secops may not propose anything wider than a raise of its package
  await assertRejectsCode(async () => c.propose(await as('dave'), doc(3, { web: { package: 'enclave' } })), 'GOVERNANCE_NOT_AUTHORIZED');
  // ... nor lower the version
  await assertRejectsCode(async () => c.propose(await as('dave'), doc(1)), 'GOVERNANCE_NOT_AUTHORIZED');
  // a raise: package-update, one approval needed, dave's own approval applies it
  const raise = await c.propose(await as('dave'), doc(3));
  assert.equal(raise.change, 'package-update');
  assert.equal(raise.needed, 1);
  const r = await c.approve(await as('dave'), raise.proposalHash, signApproval('dave', users.dave!, raise.proposalHash).signature);
  assert.equal(r.applied, true);
  assert.equal(c.status().manifestHash, manifestHash(parseManifest(doc(3))));

  // a wider change: proposed by an owner, dave's approval does not count, two owners apply it
  const wide = await c.propose(await as('alice'), doc(3, { web: { package: 'enclave' } }));
  assert.equal(wide.change, 'manifest-update');
  assert.equal(wide.needed, 2);
  await assertRejectsCode(async () => c.approve(await as('dave'), wide.proposalHash, signApproval('dave', users.dave!, wide.proposalHash).signature), 'GOVERNANCE_NOT_AUTHORIZED');
  assert.equal((await c.approve(await as('alice'), wide.proposalHash, signApproval('alice', users.alice!, wide.proposalHash).signature)).applied, false);
  assert.equal((await c.approve(await as('bob'), wide.proposalHash, signApproval('bob', users.bob!, wide.proposalHash).signature)).applied, true);
  await c.close();
});
