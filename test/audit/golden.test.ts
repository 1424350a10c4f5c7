import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import { EMPTY_AUDIT_LOG, appendOps, auditEntryHash, auditHeadBytes, auditSigner, renderAuditJson, renderAuditLines, verifyAuditLog, type AuditRecord } from '../../src/audit/index.js';

/**
 * Crypto-determinism regression vectors. DO NOT CHANGE: these pin the audit entry hash, the
 * signed message and the head encoding that deployed coordinators and clients agree on. A
 * change here breaks every existing audit log and every attestation that binds a head.
 */

// Ed25519 is deterministic (RFC 8032), so signatures can be pinned too. Seed = 32 bytes 0x01..0x20.
const SEED = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const KEY = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SEED]), format: 'der', type: 'pkcs8' });

const ENTRY = {
  seq: 1,
  time: '2025-01-02T03:04:05.678Z',
  kind: 'manifest.set',
  actor: 'user:alice',
  detail: { manifestHash: 'ab'.repeat(32), note: 'first manifest', n: 1 },
  prevHash: '0'.repeat(64),
};

test('golden: entry hash (DO NOT CHANGE)', () => {
  assert.equal(auditEntryHash(ENTRY), 'bb9dd6c5e20e18303ab1450d8eaba27395226bbadb8b14626931a09041a1bf9c');
});

test('golden: a two-entry chain with Ed25519 signatures (DO NOT CHANGE)', () => {
  const signer = auditSigner(KEY);
  const a = appendOps(EMPTY_AUDIT_LOG, { time: new Date(ENTRY.time), kind: 'manifest.set', actor: ENTRY.actor, detail: ENTRY.detail }, signer);
  const b = appendOps({ head: a.newHead, revision: 1n }, { time: new Date('2025-01-02T03:05:00.000Z'), kind: 'workload.activated', actor: 'workload:api/1', detail: { workload: 'api', instanceId: '1' } }, signer);
  assert.equal(a.record.hash, 'bb9dd6c5e20e18303ab1450d8eaba27395226bbadb8b14626931a09041a1bf9c');
  assert.equal(a.record.signature, '40b3eddca45ff5c094f5e76b31e743d145c35d3a51c8b456c14f4b076ea1f68d50f4a0c011123fddad3b71224c4ae39a3e9079aad1e017e798b90f137b0aca0f');
  assert.equal(b.record.hash, 'f90bf3e72a00551593d9c3888317000a286d60f8278f6e60ed9e993e02bde3a0');
  assert.equal(b.record.signature, 'e5b9f01578d3b60da58a2a251ffe5aee0da6ddce3006c05eb918160c9b4a22fc65232f92108ca9c578545fd64364fe593d1282cb84c6f213217a8d5c48d8710c');
  assert.equal(Buffer.from(auditHeadBytes(b.newHead)).toString('hex'), '636c6f69737465722f61756469742d686561642f7631000000000000000002f90bf3e72a00551593d9c3888317000a286d60f8278f6e60ed9e993e02bde3a0');
  verifyAuditLog([a.record, b.record], { publicKey: KEY, expectedHead: b.newHead });
});

test('rendering: one line per entry and JSON that verifies again', () => {
  const signer = auditSigner(KEY);
  const a = appendOps(EMPTY_AUDIT_LOG, { time: new Date(ENTRY.time), kind: 'manifest.set', actor: 'user:alice', detail: { line: 'two\nlines\u001b[31m' } }, signer);
  const text = renderAuditLines([a.record]);
  assert.equal(text.split('\n').length, 2);
  assert.match(text, /^#000001 {2}2025-01-02T03:04:05\.678Z {2}manifest\.set/);
  assert.ok(!text.includes('\u001b'));
  assert.equal(renderAuditLines([]), '(audit log is empty)\n');
  const json = JSON.parse(renderAuditJson([a.record])) as { head: { seq: number; hash: string }; entries: AuditRecord[] };
  assert.deepEqual(json.head, a.newHead);
  assert.deepEqual(verifyAuditLog(json.entries, { publicKey: KEY, expectedHead: json.head }), a.newHead);
  assert.deepEqual(JSON.parse(renderAuditJson([])).head, { seq: 0, hash: '0'.repeat(64) });
});
