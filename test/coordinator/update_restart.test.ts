import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { verifyAuditLog } from '../../src/audit/index.js';
import { signApproval } from '../../src/governance/index.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { createMemoryStore, type CommitOps, type Store } from '../../src/store/index.js';
import { startInProcess, userCredentials } from './support/in_process.js';

/**
 * A crash between the approval that reaches the quorum and the apply: the approvals are stored,
 * the manifest is not. The next start finds the reached quorum and finishes the update, once,
 * with its audit entry, and the chain stays intact.
 */
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const users = ['alice', 'bob'].map((name) => ({ name, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }));
const doc = (extra: Record<string, unknown>) =>
  JSON.stringify({
    packages: { app: { simulated: { measurements: ['ab'.repeat(48)] } } },
    workloads: { api: { package: 'app' }, ...extra },
    users: Object.fromEntries(users.map((u) => [u.name, { publicKey: createPublicKey(u.key).export({ type: 'spki', format: 'pem' }).toString() }])),
    roles: { owners: { users: users.map((u) => u.name), permissions: [{ action: 'manifest.update' }, { action: 'approve' }, { action: 'audit.read' }] } },
    approvals: { manifestUpdate: 2 },
  });

/** A store that "crashes" (throws before writing) on the first commit that writes the manifest record. */
function crashOnApply(inner: Store): Store & { crashed: boolean } {
  const s = {
    crashed: false,
    get: inner.get.bind(inner),
    list: inner.list.bind(inner),
    close: inner.close.bind(inner),
    async commit(ops: CommitOps) {
      if (!s.crashed && ops.put.some((p) => p.key === 'coordinator/manifest') && ops.compare.some((c) => c.key === 'coordinator/manifest' && c.revision > 0n)) {
        s.crashed = true;
        throw new Error('simulated crash before the apply was written');
      }
      return inner.commit(ops);
    },
  };
  return s;
}

test('a restart after the quorum was stored but before the apply finishes the update exactly once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-update-restart-'));
  dirs.push(dir);
  const inner = createMemoryStore();
  const store = crashOnApply(inner);
  const c1 = await startInProcess(store, join(dir, 'platform'));
  await c1.setManifest(doc({}));
  const cred = userCredentials;
  const next = doc({ batch: { package: 'app' } });
  const p = await c1.propose(await cred(users[0]!.key), next);
  await c1.approve(await cred(users[0]!.key), p.proposalHash, signApproval('alice', users[0]!.key, p.proposalHash).signature);
  const bob = await cred(users[1]!.key);
  await assert.rejects(() => c1.approve(bob, p.proposalHash, signApproval('bob', users[1]!.key, p.proposalHash).signature), /simulated crash/);
  assert.equal(store.crashed, true);
  assert.notEqual(c1.status().manifestHash, manifestHash(parseManifest(next)), 'the crashed process did not switch');
  await c1.close();

  // restart on the same state: the stored quorum is found and applied
  const c2 = await startInProcess(inner, join(dir, 'platform'));
  assert.equal(c2.status().manifestHash, manifestHash(parseManifest(next)));
  const after = await c2.proposal(await cred(users[0]!.key), p.proposalHash);
  assert.equal(after.status, 'applied');
  assert.deepEqual(after.approvedBy, ['alice', 'bob']);
  const log = await c2.auditLog(await cred(users[0]!.key), 1, 1000);
  verifyAuditLog(log.entries, { publicKey: new X509Certificate(c2.root.certPem).publicKey });
  assert.equal(log.entries.filter((e) => e.kind === 'manifest.applied').length, 1);
  // a third start does not apply anything again
  await c2.close();
  const c3 = await startInProcess(inner, join(dir, 'platform'));
  const log3 = await c3.auditLog(await cred(users[0]!.key), 1, 1000);
  assert.equal(log3.entries.length, log.entries.length);
  await c3.close();
});
