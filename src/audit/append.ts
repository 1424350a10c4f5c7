import type { CommitOps } from '../store/index.js';
import { auditEntryHash, checkEntryInput, type AuditEntry, type AuditEntryInput } from './entry.js';
import { AuditError } from './errors.js';
import { checkHead, encodeHead, GENESIS_HEAD, type AuditHead } from './head.js';
import { encodeAuditRecord, type AuditRecord } from './record.js';
import type { AuditSigner } from './signer.js';

/**
 * Appending is pure: it returns the new record, the new head and the store commit that writes
 * both. The commit compares `audit/head` at the revision the caller read, so two concurrent
 * appends on the same head cannot both land (the second gets a conflict and must re-read):
 * the chain never forks. It also requires the entry key to be absent. The coordinator may
 * merge these ops with the state change they record, so the change and its entry commit together.
 */
export const AUDIT_HEAD_KEY = 'audit/head';
export const AUDIT_ENTRY_PREFIX = 'audit/entries/';
/** Zero-padded to 16 digits (Number.MAX_SAFE_INTEGER has 16), so store key order is seq order. */
const SEQ_DIGITS = 16;

export function auditEntryKey(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new AuditError('AUDIT_ENTRY_INVALID', `audit seq: got ${seq}, want an integer >= 1`);
  return AUDIT_ENTRY_PREFIX + String(seq).padStart(SEQ_DIGITS, '0');
}

/** The head as read from the store: revision 0n means `audit/head` is absent (empty log). */
export interface StoredAuditHead {
  readonly head: AuditHead;
  readonly revision: bigint;
}

export const EMPTY_AUDIT_LOG: StoredAuditHead = Object.freeze({ head: GENESIS_HEAD, revision: 0n });

export function appendOps(
  current: StoredAuditHead,
  input: AuditEntryInput,
  signer: AuditSigner,
): { record: AuditRecord; newHead: AuditHead; storeOps: CommitOps } {
  checkHead(current.head, 'current audit head');
  if (current.revision === 0n && current.head.seq !== 0) {
    throw new AuditError('AUDIT_RECORD_MALFORMED', `current audit head: revision 0n (absent) but seq ${current.head.seq}, want the empty head`);
  }
  checkEntryInput(input);
  const entry: AuditEntry = {
    seq: current.head.seq + 1,
    time: input.time.toISOString(),
    kind: input.kind,
    actor: input.actor,
    // A deep copy through JSON, so a caller mutating its object later cannot change what was hashed.
    detail: JSON.parse(JSON.stringify(input.detail)),
    prevHash: current.head.hash,
  };
  const hash = auditEntryHash(entry);
  const signature = Buffer.from(signer.sign(Buffer.from(hash, 'hex'))).toString('hex');
  const record: AuditRecord = Object.freeze({ ...entry, hash, signature });
  const newHead: AuditHead = Object.freeze({ seq: entry.seq, hash });
  const key = auditEntryKey(entry.seq);
  return {
    record,
    newHead,
    storeOps: {
      compare: [
        { key: AUDIT_HEAD_KEY, revision: current.revision },
        { key, revision: 0n },
      ],
      put: [
        { key, value: encodeAuditRecord(record) },
        { key: AUDIT_HEAD_KEY, value: encodeHead(newHead) },
      ],
      delete: [],
    },
  };
}
