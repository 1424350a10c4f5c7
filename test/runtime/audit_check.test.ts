import assert from 'node:assert/strict';
import { KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { EMPTY_AUDIT_LOG, GENESIS_HEAD, appendOps, auditEntryHash, auditSigner, type AuditHead, type AuditRecord, type StoredAuditHead } from '../../src/audit/index.js';
import { checkAuditLog, checkAuditPage } from '../../src/runtime/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { makeRoot, type TestCa } from './support/fake_coordinator.js';

/**
 * The client's check of a coordinator's audit log against its attestation: logs built with
 * src/audit appendOps, signed by a generated P-256 key standing in for the coordinator's root CA.
 */
const root: TestCa = await makeRoot('Audit Check Root');
const other: TestCa = await makeRoot('Another Root');
const T0 = Date.parse('2025-03-04T05:06:07.000Z');

const rootSigner = auditSigner(KeyObject.from(root.keys.privateKey));

function buildLog(n: number, signer = rootSigner): AuditRecord[] {
  let cur: StoredAuditHead = EMPTY_AUDIT_LOG;
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = appendOps(cur, { time: new Date(T0 + i * 1000), kind: i === 0 ? 'manifest.set' : 'secret.set', actor: i === 0 ? 'coordinator' : 'user:alice', detail: { i } }, signer);
    out.push(r.record);
    cur = { head: r.newHead, revision: cur.revision + 1n };
  }
  return out;
}
const headOf = (log: readonly AuditRecord[]): AuditHead => {
  const last = log[log.length - 1];
  return last === undefined ? GENESIS_HEAD : { seq: last.seq, hash: last.hash };
};
const attested = (head: AuditHead, ca: TestCa = root) => ({ rootCaPem: ca.pem, auditHead: head });

const LOG = buildLog(6);
const HEAD = headOf(LOG);

function expectInvalid(fn: () => unknown, reason: string | readonly string[], seq?: number): void {
  const e = assertThrowsCode(fn, 'AUDIT_LOG_INVALID');
  const reasons = typeof reason === 'string' ? [reason] : reason;
  assert.ok(reasons.includes(String(e.detail?.reason)), `reason ${String(e.detail?.reason)}, want ${reasons.join('|')}`);
  if (seq !== undefined) assert.equal(e.detail?.seq, seq);
}

test('a whole log signed by the attested root that includes the attested head verifies', () => {
  const r = checkAuditLog(attested(HEAD), LOG, HEAD);
  assert.deepEqual(r, { entries: 6, head: HEAD, attestedHead: HEAD });
});

test('the log may extend past the attested head (entries appended after attestation)', () => {
  const at3 = headOf(LOG.slice(0, 3));
  const r = checkAuditLog(attested(at3), LOG, HEAD);
  assert.equal(r.head.seq, 6);
  assert.deepEqual(r.attestedHead, at3);
});

test('empty log with the genesis head verifies; an attested empty log may have grown', () => {
  assert.equal(checkAuditLog(attested(GENESIS_HEAD), [], GENESIS_HEAD).entries, 0);
  assert.equal(checkAuditLog(attested(GENESIS_HEAD), LOG, HEAD).entries, 6);
});

test('edited entry: AUDIT_LOG_INVALID naming its seq (hash mismatch, or signature when the hash was recomputed)', () => {
  const edited = LOG.map((r) => ({ ...r }));
  edited[2] = { ...edited[2]!, detail: { i: 99 } };
  expectInvalid(() => checkAuditLog(attested(HEAD), edited, HEAD), 'AUDIT_ENTRY_HASH_MISMATCH', 3);
  const rehashed = LOG.map((r) => ({ ...r }));
  const { hash: _h, signature: _s, ...entry } = { ...rehashed[2]!, detail: { i: 99 } };
  rehashed[2] = { ...entry, hash: auditEntryHash(entry), signature: rehashed[2]!.signature };
  expectInvalid(() => checkAuditLog(attested(HEAD), rehashed, HEAD), 'AUDIT_SIGNATURE_INVALID', 3);
});

test('dropped entry: AUDIT_LOG_INVALID (seq gap) at the first missing place', () => {
  const dropped = [...LOG.slice(0, 2), ...LOG.slice(3)];
  expectInvalid(() => checkAuditLog(attested(HEAD), dropped, HEAD), 'AUDIT_SEQ_GAP', 4);
  expectInvalid(() => checkAuditLog(attested(HEAD), LOG.slice(1), HEAD), 'AUDIT_SEQ_GAP', 2);
});

test('reordered entries: AUDIT_LOG_INVALID', () => {
  const swapped = [LOG[0]!, LOG[2]!, LOG[1]!, ...LOG.slice(3)];
  expectInvalid(() => checkAuditLog(attested(HEAD), swapped, HEAD), ['AUDIT_SEQ_GAP', 'AUDIT_SEQ_ORDER'], 3);
  const duplicated = [...LOG.slice(0, 3), LOG[2]!, ...LOG.slice(3)];
  expectInvalid(() => checkAuditLog(attested(HEAD), duplicated, HEAD), 'AUDIT_SEQ_ORDER', 3);
});

test('truncated before the attested head: AUDIT_LOG_TRUNCATED even when the served head agrees', () => {
  const short = LOG.slice(0, 4);
  const e = assertThrowsCode(() => checkAuditLog(attested(HEAD), short, headOf(short)), 'AUDIT_LOG_TRUNCATED');
  assert.equal(e.detail?.seq, 5);
});

test("truncated after the attested head: the coordinator's own head catches it", () => {
  const at3 = headOf(LOG.slice(0, 3));
  expectInvalid(() => checkAuditLog(attested(at3), LOG.slice(0, 4), HEAD), 'AUDIT_HEAD_MISMATCH');
});

test('signed by another key than the attested root: AUDIT_LOG_INVALID (signature) at seq 1', () => {
  expectInvalid(() => checkAuditLog(attested(HEAD, other), LOG, HEAD), 'AUDIT_SIGNATURE_INVALID', 1);
});

test('a whole other log, self-consistent, whose head is not the attested one: AUDIT_ATTESTED_HEAD_MISMATCH', () => {
  // A coordinator that rewrote history and re-signed it (the root key signs): the chain holds,
  // but not the head the TEE committed to.
  let cur: StoredAuditHead = EMPTY_AUDIT_LOG;
  const forged: AuditRecord[] = [];
  for (let i = 0; i < 6; i++) {
    const r = appendOps(cur, { time: new Date(T0 + i * 1000), kind: 'secret.set', actor: 'user:mallory', detail: { i } }, rootSigner);
    forged.push(r.record);
    cur = { head: r.newHead, revision: cur.revision + 1n };
  }
  const e = assertThrowsCode(() => checkAuditLog(attested(HEAD), forged, headOf(forged)), 'AUDIT_ATTESTED_HEAD_MISMATCH');
  assert.equal(e.detail?.seq, 6);
});

test('no attested head: AUDIT_HEAD_NOT_ATTESTED', () => {
  assertThrowsCode(() => checkAuditLog({ rootCaPem: root.pem }, LOG, HEAD), 'AUDIT_HEAD_NOT_ATTESTED');
});

test('malformed record: AUDIT_LOG_INVALID (record malformed)', () => {
  const bad = [...LOG.slice(0, 5), { ...LOG[5]!, extra: 1 } as unknown as AuditRecord];
  expectInvalid(() => checkAuditLog(attested(HEAD), bad, HEAD), 'AUDIT_RECORD_MALFORMED');
});

test('checkAuditPage: a page verifies on its own; a tampered page, a wrong first seq or a rewritten attested entry do not', () => {
  checkAuditPage(attested(HEAD), LOG.slice(2, 5), 3);
  checkAuditPage(attested(HEAD), [], 7);
  const edited = LOG.slice(2, 5).map((r) => ({ ...r }));
  edited[1] = { ...edited[1]!, actor: 'user:mallory' };
  expectInvalid(() => checkAuditPage(attested(HEAD), edited, 3), 'AUDIT_ENTRY_HASH_MISMATCH', 4);
  expectInvalid(() => checkAuditPage(attested(HEAD), LOG.slice(2, 5), 2), 'AUDIT_SEQ_GAP', 3);
  expectInvalid(() => checkAuditPage(attested(HEAD, other), LOG.slice(2, 5), 3), 'AUDIT_SIGNATURE_INVALID', 3);
  const at4 = { seq: 4, hash: 'ab'.repeat(32) };
  assertThrowsCode(() => checkAuditPage(attested(at4), LOG.slice(2, 5), 3), 'AUDIT_ATTESTED_HEAD_MISMATCH');
});
