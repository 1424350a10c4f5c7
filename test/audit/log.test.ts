import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  AUDIT_HEAD_KEY,
  EMPTY_AUDIT_LOG,
  appendOps,
  auditEntryHash,
  auditEntryKey,
  auditSigner,
  decodeAuditRecord,
  decodeHead,
  verifyAuditLog,
  type AuditRecord,
  type AuditEntryInput,
  type StoredAuditHead,
} from '../../src/audit/index.js';
import { createMemoryStore } from '../../src/store/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const T0 = Date.parse('2025-01-02T03:04:05.000Z');

function input(i: number): AuditEntryInput {
  const kinds = ['manifest.set', 'secret.set', 'workload.activated', 'manifest.proposed', 'manifest.approved'] as const;
  return { time: new Date(T0 + i * 1000), kind: kinds[i % kinds.length]!, actor: i % 2 ? 'user:alice' : 'coordinator', detail: { i, note: `entry ${i}` } };
}

function buildLog(n: number, key = ec.privateKey): AuditRecord[] {
  const signer = auditSigner(key);
  let cur: StoredAuditHead = EMPTY_AUDIT_LOG;
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = appendOps(cur, input(i), signer);
    out.push(r.record);
    cur = { head: r.newHead, revision: cur.revision + 1n };
  }
  return out;
}

const LOG = buildLog(6);
const pub = ec.publicKey;

test('an intact log verifies and returns its head (ECDSA P-256 and Ed25519)', () => {
  const head = verifyAuditLog(LOG, { publicKey: pub });
  assert.deepEqual(head, { seq: 6, hash: LOG[5]!.hash });
  assert.deepEqual(verifyAuditLog(LOG, { publicKey: pub.export({ type: 'spki', format: 'pem' }) as string, expectedHead: head }), head);
  const edLog = buildLog(3, ed.privateKey);
  assert.equal(verifyAuditLog(edLog, { publicKey: ed.publicKey }).seq, 3);
  assert.deepEqual(verifyAuditLog([], { publicKey: pub }), { seq: 0, hash: '0'.repeat(64) });
});

test('a page verifies against the head it continues (after)', () => {
  const head3 = { seq: 3, hash: LOG[2]!.hash };
  assert.equal(verifyAuditLog(LOG.slice(3), { publicKey: pub, after: head3 }).seq, 6);
  assertThrowsCode(() => verifyAuditLog(LOG.slice(3), { publicKey: pub, after: { seq: 3, hash: LOG[1]!.hash } }), 'AUDIT_CHAIN_BROKEN');
});

test('removed entries are detected with the seq named', () => {
  const middle = assertThrowsCode(() => verifyAuditLog([...LOG.slice(0, 2), ...LOG.slice(3)], { publicKey: pub }), 'AUDIT_SEQ_GAP');
  assert.equal(middle.detail?.seq, 4);
  assertThrowsCode(() => verifyAuditLog(LOG.slice(1), { publicKey: pub }), 'AUDIT_SEQ_GAP');
  const head = { seq: 6, hash: LOG[5]!.hash };
  assertThrowsCode(() => verifyAuditLog(LOG.slice(0, 5), { publicKey: pub, expectedHead: head }), 'AUDIT_HEAD_MISMATCH');
  assertThrowsCode(() => verifyAuditLog([], { publicKey: pub, expectedHead: head }), 'AUDIT_HEAD_MISMATCH');
});

test('reordered and duplicated entries are detected', () => {
  const swapped = [LOG[0]!, LOG[2]!, LOG[1]!, ...LOG.slice(3)];
  assertThrowsCode(() => verifyAuditLog(swapped, { publicKey: pub }), 'AUDIT_SEQ_GAP');
  const dup = [LOG[0]!, LOG[1]!, LOG[1]!, ...LOG.slice(2)];
  const e = assertThrowsCode(() => verifyAuditLog(dup, { publicKey: pub }), 'AUDIT_SEQ_ORDER');
  assert.equal(e.detail?.seq, 2);
  assertThrowsCode(() => verifyAuditLog([...LOG].reverse(), { publicKey: pub }), 'AUDIT_SEQ_GAP');
});

test('edited entries are detected: every field, with and without a recomputed hash', () => {
  const edits: Array<(r: AuditRecord) => AuditRecord> = [
    (r) => ({ ...r, detail: { ...(r.detail as object), i: 99 } }),
    (r) => ({ ...r, actor: 'user:mallory' }),
    (r) => ({ ...r, kind: 'secret.set' }),
    (r) => ({ ...r, time: '2030-01-01T00:00:00.000Z' }),
  ];
  for (const edit of edits) {
    const tampered = LOG.map((r, i) => (i === 3 ? edit(r) : r));
    const e = assertThrowsCode(() => verifyAuditLog(tampered, { publicKey: pub }), 'AUDIT_ENTRY_HASH_MISMATCH');
    assert.equal(e.detail?.seq, 4);
    const rehashed = tampered.map((r, i) => (i === 3 ? { ...r, hash: auditEntryHash(r) } : r));
    assertThrowsCode(() => verifyAuditLog(rehashed, { publicKey: pub }), 'AUDIT_SIGNATURE_INVALID');
  }
  // Editing prevHash breaks the chain before anything else.
  assertThrowsCode(() => verifyAuditLog(LOG.map((r, i) => (i === 2 ? { ...r, prevHash: 'ab'.repeat(32) } : r)), { publicKey: pub }), 'AUDIT_CHAIN_BROKEN');
});

test('an entry from another chain or signed by another key is rejected', () => {
  const foreign = buildLog(6, other.privateKey);
  assertThrowsCode(() => verifyAuditLog(foreign, { publicKey: pub }), 'AUDIT_SIGNATURE_INVALID');
  // Same key, other history (different time): chain break at the first spliced entry.
  const signer = auditSigner(ec.privateKey);
  const alt = appendOps({ head: { seq: 2, hash: 'cd'.repeat(32) }, revision: 2n }, input(2), signer).record;
  assertThrowsCode(() => verifyAuditLog([LOG[0]!, LOG[1]!, alt, ...LOG.slice(3)], { publicKey: pub }), 'AUDIT_CHAIN_BROKEN');
  // Inserted (renumbered) entry: a valid signature but the next entry no longer chains.
  const inserted = appendOps({ head: { seq: 2, hash: LOG[1]!.hash }, revision: 2n }, input(9), signer).record;
  const renumbered = LOG.slice(2).map((r) => ({ ...r, seq: r.seq + 1 }));
  assertThrowsCode(() => verifyAuditLog([LOG[0]!, LOG[1]!, inserted, ...renumbered], { publicKey: pub }), 'AUDIT_CHAIN_BROKEN');
  const sig = LOG.map((r, i) => (i === 1 ? { ...r, signature: '00'.repeat(64) } : r));
  assertThrowsCode(() => verifyAuditLog(sig, { publicKey: pub }), 'AUDIT_SIGNATURE_INVALID');
});

test('malformed records and unsupported keys are typed errors', () => {
  const bad: unknown[] = [
    null,
    { ...LOG[0]!, extra: 1 },
    { ...LOG[0]!, seq: 0 },
    { ...LOG[0]!, seq: '1' },
    { ...LOG[0]!, time: 'yesterday' },
    { ...LOG[0]!, kind: 'Manifest Set' },
    { ...LOG[0]!, actor: 'user alice' },
    { ...LOG[0]!, hash: 'AB'.repeat(32) },
    { ...LOG[0]!, signature: 'xyz' },
  ];
  for (const b of bad) assertThrowsCode(() => verifyAuditLog([b as AuditRecord], { publicKey: pub }), 'AUDIT_RECORD_MALFORMED', JSON.stringify(b));
  assertThrowsCode(() => decodeAuditRecord(new Uint8Array([0xff, 0xfe])), 'AUDIT_RECORD_MALFORMED');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assertThrowsCode(() => auditSigner(rsa.privateKey), 'AUDIT_KEY_UNSUPPORTED');
  assertThrowsCode(() => verifyAuditLog(LOG, { publicKey: rsa.publicKey }), 'AUDIT_KEY_UNSUPPORTED');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  assertThrowsCode(() => auditSigner(p384.privateKey), 'AUDIT_KEY_UNSUPPORTED');
});

test('appendOps validates its input and the current head', () => {
  const signer = auditSigner(ec.privateKey);
  const bad: AuditEntryInput[] = [
    { ...input(0), kind: 'nope' as 'secret.set' },
    { ...input(0), actor: '' },
    { ...input(0), actor: 'has space' },
    { ...input(0), time: new Date(Number.NaN) },
    { ...input(0), detail: { n: Number.NaN } },
    { ...input(0), detail: { big: 'x'.repeat(70 * 1024) } },
  ];
  for (const b of bad) assertThrowsCode(() => appendOps(EMPTY_AUDIT_LOG, b, signer), 'AUDIT_ENTRY_INVALID');
  assertThrowsCode(() => appendOps({ head: { seq: 1, hash: 'ab'.repeat(32) }, revision: 0n }, input(0), signer), 'AUDIT_RECORD_MALFORMED');
  assertThrowsCode(() => appendOps({ head: { seq: 0, hash: 'ab'.repeat(32) }, revision: 0n }, input(0), signer), 'AUDIT_RECORD_MALFORMED');
  assertThrowsCode(() => auditEntryKey(0), 'AUDIT_ENTRY_INVALID');
  // The detail is copied: mutating the caller's object later changes nothing.
  const detail = { a: 1 };
  const r = appendOps(EMPTY_AUDIT_LOG, { ...input(0), detail }, signer).record;
  detail.a = 2;
  assert.deepEqual(r.detail, { a: 1 });
});

test('store ops: entries land under ordered keys, and a concurrent append on the same head conflicts', async () => {
  const store = createMemoryStore();
  const signer = auditSigner(ec.privateKey);
  const read = async (): Promise<StoredAuditHead> => {
    const h = await store.get(AUDIT_HEAD_KEY);
    return h === undefined ? EMPTY_AUDIT_LOG : { head: decodeHead(h.value), revision: h.revision };
  };
  for (let i = 0; i < 12; i++) {
    const { storeOps } = appendOps(await read(), input(i), signer);
    assert.equal((await store.commit(storeOps)).ok, true);
  }
  const cur = await read();
  const a = appendOps(cur, input(20), signer);
  const b = appendOps(cur, input(21), signer);
  assert.equal((await store.commit(a.storeOps)).ok, true);
  assert.deepEqual(await store.commit(b.storeOps), { ok: false, conflictKey: AUDIT_HEAD_KEY });
  const entries = await store.list('audit/entries/');
  assert.equal(entries.length, 13);
  assert.equal(entries[9]!.key, auditEntryKey(10));
  const records = entries.map((e) => decodeAuditRecord(e.value));
  const head = (await read()).head;
  assert.deepEqual(verifyAuditLog(records, { publicKey: pub, expectedHead: head }), head);
  await store.close();
});
