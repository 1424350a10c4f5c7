import type { KeyObject } from 'node:crypto';
import { constantTimeEqual } from '../common/bytes.js';
import { auditEntryHash, GENESIS_HASH } from './entry.js';
import { AuditError } from './errors.js';
import { checkHead, GENESIS_HEAD, type AuditHead } from './head.js';
import { checkAuditRecord, type AuditRecord } from './record.js';
import { toPublicKey, verifyEntrySignature } from './signer.js';

export interface VerifyAuditOptions {
  /** The coordinator's audit public key (KeyObject or SPKI PEM). */
  readonly publicKey: KeyObject | string;
  /**
   * The head the log must end at, e.g. the one bound into the coordinator's attestation.
   * Without it a log cut short at the end still verifies: truncation of the tail is only
   * detectable against a head obtained independently.
   */
  readonly expectedHead?: AuditHead;
  /** Verify a page that continues an already verified head (default: the log's start). */
  readonly after?: AuditHead;
}

/**
 * Verifies a log (or a page of it) in order and returns its head. Stops at the first broken
 * link and names its seq (detail.seq): each entry must be well formed, have the next seq,
 * chain to the previous hash, hash to its recorded hash and carry a valid signature.
 * - removed entry: AUDIT_SEQ_GAP (or AUDIT_HEAD_MISMATCH for the tail, with expectedHead)
 * - reordered / duplicated entry: AUDIT_SEQ_ORDER
 * - edited entry: AUDIT_ENTRY_HASH_MISMATCH, or AUDIT_SIGNATURE_INVALID if the hash was recomputed
 * - inserted entry (renumbered): AUDIT_CHAIN_BROKEN or AUDIT_SIGNATURE_INVALID
 */
export function verifyAuditLog(records: readonly AuditRecord[], options: VerifyAuditOptions): AuditHead {
  const key = toPublicKey(options.publicKey);
  const start = options.after ?? GENESIS_HEAD;
  checkHead(start, 'after');
  let prev: AuditHead = start;
  records.forEach((raw, i) => {
    const where = `audit entry #${i} (seq ${String((raw as { seq?: unknown } | null)?.seq)})`;
    const r = checkAuditRecord(raw, where);
    const want = prev.seq + 1;
    const fail = (code: 'AUDIT_SEQ_GAP' | 'AUDIT_SEQ_ORDER' | 'AUDIT_CHAIN_BROKEN' | 'AUDIT_ENTRY_HASH_MISMATCH' | 'AUDIT_SIGNATURE_INVALID', what: string): never => {
      throw new AuditError(code, `audit seq ${r.seq}: ${what}`, { detail: { seq: r.seq, index: i } });
    };
    if (r.seq > want) fail('AUDIT_SEQ_GAP', `got seq ${r.seq}, want ${want} (seq ${want}${r.seq - want > 1 ? `-${r.seq - 1}` : ''} missing)`);
    if (r.seq < want) fail('AUDIT_SEQ_ORDER', `got seq ${r.seq} after seq ${prev.seq}, want ${want}`);
    if (r.prevHash !== prev.hash) fail('AUDIT_CHAIN_BROKEN', `prevHash got ${r.prevHash}, want ${prev.hash} (hash of seq ${prev.seq})`);
    const hash = auditEntryHash(r);
    if (!constantTimeEqual(Buffer.from(hash, 'hex'), Buffer.from(r.hash, 'hex'))) {
      fail('AUDIT_ENTRY_HASH_MISMATCH', `entry hashes to ${hash}, record says ${r.hash}`);
    }
    if (!verifyEntrySignature(key, Buffer.from(hash, 'hex'), Buffer.from(r.signature, 'hex'))) {
      fail('AUDIT_SIGNATURE_INVALID', `signature over entry hash ${hash} does not verify under the audit key`);
    }
    prev = { seq: r.seq, hash };
  });
  if (options.expectedHead !== undefined) {
    checkHead(options.expectedHead, 'expectedHead');
    const e = options.expectedHead;
    if (prev.seq !== e.seq || prev.hash !== e.hash) {
      throw new AuditError('AUDIT_HEAD_MISMATCH', `audit head: got seq ${prev.seq} hash ${prev.hash}, want seq ${e.seq} hash ${e.hash}`, {
        detail: { seq: prev.seq, wantSeq: e.seq },
      });
    }
  }
  return prev.seq === 0 ? { seq: 0, hash: GENESIS_HASH } : prev;
}
