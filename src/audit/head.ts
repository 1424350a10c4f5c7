import { createHash } from 'node:crypto';
import { GENESIS_HASH, HASH_RE } from './entry.js';
import { AuditError } from './errors.js';

/**
 * The head of the audit log: the last entry's seq and hash (seq 0 + GENESIS_HASH = empty log).
 * It is what the coordinator binds into its attestation, so a client that verifies the
 * attestation and then the log learns that it saw the whole history up to that point.
 */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS_HEAD: AuditHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });
export const AUDIT_HEAD_LABEL = 'cloister/audit-head/v1';

/**
 * The fixed 63-byte encoding the attestation binds: label (22 ASCII bytes) || 0x00 || seq as
 * u64 big-endian || 32-byte hash. Fixed widths, so no two heads share an encoding.
 */
export function auditHeadBytes(head: AuditHead): Uint8Array {
  checkHead(head, 'audit head');
  const out = Buffer.alloc(AUDIT_HEAD_LABEL.length + 1 + 8 + 32);
  out.write(AUDIT_HEAD_LABEL, 0, 'ascii');
  out.writeBigUInt64BE(BigInt(head.seq), AUDIT_HEAD_LABEL.length + 1);
  Buffer.from(head.hash, 'hex').copy(out, AUDIT_HEAD_LABEL.length + 9);
  return new Uint8Array(out);
}

/** SHA-256 of auditHeadBytes: a 32-byte value for report-data structures that take digests. */
export function auditHeadDigest(head: AuditHead): Uint8Array {
  return new Uint8Array(createHash('sha256').update(auditHeadBytes(head)).digest());
}

export function encodeHead(head: AuditHead): Uint8Array {
  checkHead(head, 'audit head');
  return new TextEncoder().encode(JSON.stringify({ seq: head.seq, hash: head.hash }));
}

/** Parses the stored `audit/head` value; AUDIT_RECORD_MALFORMED if it is not a head. */
export function decodeHead(bytes: Uint8Array): AuditHead {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AuditError('AUDIT_RECORD_MALFORMED', 'audit head: not UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || Object.keys(v).sort().join(',') !== 'hash,seq') {
    throw new AuditError('AUDIT_RECORD_MALFORMED', 'audit head: want an object with exactly seq and hash');
  }
  const h = v as AuditHead;
  checkHead(h, 'audit head');
  return { seq: h.seq, hash: h.hash };
}

export function checkHead(head: AuditHead, what: string): void {
  if (!Number.isSafeInteger(head.seq) || head.seq < 0) {
    throw new AuditError('AUDIT_RECORD_MALFORMED', `${what}: seq got ${String(head.seq)}, want a non-negative safe integer`);
  }
  if (typeof head.hash !== 'string' || !HASH_RE.test(head.hash)) {
    throw new AuditError('AUDIT_RECORD_MALFORMED', `${what}: hash got ${JSON.stringify(head.hash)}, want 64 lowercase hex digits`);
  }
  if (head.seq === 0 && head.hash !== GENESIS_HASH) {
    throw new AuditError('AUDIT_RECORD_MALFORMED', `${what}: seq 0 (empty log) needs the genesis hash, got ${head.hash}`);
  }
}
