import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  AUDIT_HEAD_KEY,
  EMPTY_AUDIT_LOG,
  appendManyOps,
  appendOps,
  auditEntryKey,
  auditSigner,
  decodeAuditRecord,
  decodeHead,
  verifyAuditLog,
  type AuditEntryInput,
  type AuditRecord,
  type StoredAuditHead,
} from '../../src/audit/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

// Ed25519 is deterministic (RFC 8032): the same entries give byte-identical records either way.
const ED = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]),
  format: 'der',
  type: 'pkcs8',
});
const signer = auditSigner(ED);
const T0 = Date.parse('2025-03-04T05:06:07.000Z');

function input(i: number): AuditEntryInput {
  return { time: new Date(T0 + i), kind: 'workload.activated', actor: `workload:api/${i}`, detail: { workload: 'api', instanceId: String(i) } };
}

async function storedLog(store: ReturnType<typeof createMemoryStore>): Promise<{ records: AuditRecord[]; head: StoredAuditHead }> {
  const records = (await store.list('audit/entries/')).map((e) => decodeAuditRecord(e.value));
  const h = await store.get(AUDIT_HEAD_KEY);
  return { records, head: h === undefined ? EMPTY_AUDIT_LOG : { head: decodeHead(h.value), revision: h.revision } };
}

test('appendManyOps chains like repeated appendOps (identical records) and builds one commit', async () => {
  const inputs = [0, 1, 2, 3].map(input);
  const many = appendManyOps(EMPTY_AUDIT_LOG, inputs, signer);
  let cur: StoredAuditHead = EMPTY_AUDIT_LOG;
  const one: AuditRecord[] = [];
  for (const i of inputs) {
    const r = appendOps(cur, i, signer);
    one.push(r.record);
    cur = { head: r.newHead, revision: cur.revision + 1n };
  }
  assert.deepEqual(many.records, one);
  assert.deepEqual(many.newHead, cur.head);
  assert.deepEqual(
    many.storeOps.compare,
    [{ key: AUDIT_HEAD_KEY, revision: 0n }, ...[1, 2, 3, 4].map((s) => ({ key: auditEntryKey(s), revision: 0n }))],
  );
  assert.deepEqual(many.storeOps.put.map((p) => p.key), [1, 2, 3, 4].map(auditEntryKey).concat(AUDIT_HEAD_KEY));

  const store = createMemoryStore();
  const res = await store.commit(many.storeOps);
  assert.equal(res.ok, true);
  const log = await storedLog(store);
  assert.deepEqual(log.records, one);
  assert.deepEqual(log.head.head, many.newHead);
  assert.deepEqual(verifyAuditLog(log.records, { publicKey: ED, expectedHead: many.newHead }), many.newHead);
});

test('appendManyOps continues a stored head and cannot fork it', async () => {
  const store = createMemoryStore();
  assert.equal((await store.commit(appendOps(EMPTY_AUDIT_LOG, input(0), signer).storeOps)).ok, true);
  const { head } = await storedLog(store);
  const a = appendManyOps(head, [input(1), input(2)], signer);
  const b = appendManyOps(head, [input(3)], signer); // a second writer on the same head
  assert.deepEqual(a.records.map((r) => r.seq), [2, 3]);
  assert.equal(a.records[0]!.prevHash, head.head.hash);
  assert.deepEqual(await store.commit(a.storeOps), { ok: true, revision: 2n });
  assert.deepEqual(await store.commit(b.storeOps), { ok: false, conflictKey: AUDIT_HEAD_KEY });
  const log = await storedLog(store);
  assert.equal(verifyAuditLog(log.records, { publicKey: ED, expectedHead: a.newHead }).seq, 3);
});

test('appendManyOps rejects no entries, a bad entry anywhere and an inconsistent head', () => {
  assertThrowsCode(() => appendManyOps(EMPTY_AUDIT_LOG, [], signer), 'AUDIT_ENTRY_INVALID');
  const bad = { ...input(1), actor: 'user alice' };
  assertThrowsCode(() => appendManyOps(EMPTY_AUDIT_LOG, [input(0), bad, input(2)], signer), 'AUDIT_ENTRY_INVALID');
  assertThrowsCode(() => appendManyOps(EMPTY_AUDIT_LOG, [{ ...input(0), kind: 'nope' as 'secret.set' }], signer), 'AUDIT_ENTRY_INVALID');
  assertThrowsCode(() => appendManyOps({ head: { seq: 2, hash: 'ab'.repeat(32) }, revision: 0n }, [input(0)], signer), 'AUDIT_RECORD_MALFORMED');
  assertThrowsCode(() => appendManyOps({ head: { seq: 1, hash: 'AB'.repeat(32) }, revision: 3n }, [input(0)], signer), 'AUDIT_RECORD_MALFORMED');
});

test('appendManyOps signs with ECDSA P-256 too (verifies under the public key, not another)', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const r = appendManyOps(EMPTY_AUDIT_LOG, [input(0), input(1), input(2)], auditSigner(ec.privateKey));
  assert.equal(verifyAuditLog(r.records, { publicKey: ec.publicKey, expectedHead: r.newHead }).seq, 3);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assertThrowsCode(() => verifyAuditLog(r.records, { publicKey: other.publicKey }), 'AUDIT_SIGNATURE_INVALID');
});
