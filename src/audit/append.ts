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
  checkCurrent(current);
  const { record, newHead } = nextRecord(current.head, input, signer);
  const key = auditEntryKey(record.seq);
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

/**
 * appendOps for several entries in one commit (the coordinator's group commit): entry n+1
 * chains to entry n, and the commit compares `audit/head` once at the revision read and every
 * entry key at absent, puts every entry and the last head. Records are returned in seq order.
 */
export function appendManyOps(
  current: StoredAuditHead,
  inputs: readonly AuditEntryInput[],
  signer: AuditSigner,
): { records: AuditRecord[]; newHead: AuditHead; storeOps: CommitOps } {
  checkCurrent(current);
  if (inputs.length === 0) throw new AuditError('AUDIT_ENTRY_INVALID', 'audit entries to append: got none, want at least one');
  const records: AuditRecord[] = [];
  let head = current.head;
  for (const input of inputs) {
    const next = nextRecord(head, input, signer);
    records.push(next.record);
    head = next.newHead;
  }
  const keys = records.map((r) => auditEntryKey(r.seq));
  return {
    records,
    newHead: head,
    storeOps: {
      compare: [{ key: AUDIT_HEAD_KEY, revision: current.revision }, ...keys.map((key) => ({ key, revision: 0n }))],
      put: [...records.map((r, i) => ({ key: keys[i]!, value: encodeAuditRecord(r) })), { key: AUDIT_HEAD_KEY, value: encodeHead(head) }],
      delete: [],
    },
  };
}

function checkCurrent(current: StoredAuditHead): void {
  checkHead(current.head, 'current audit head');
  if (current.revision === 0n && current.head.seq !== 0) {
    throw new AuditError('AUDIT_RECORD_MALFORMED', `current audit head: revision 0n (absent) but seq ${current.head.seq}, want the empty head`);
  }
}

/** The signed record that follows `head`, and the head after it. */
function nextRecord(head: AuditHead, input: AuditEntryInput, signer: AuditSigner): { record: AuditRecord; newHead: AuditHead } {
  checkEntryInput(input);
  const entry: AuditEntry = {
    seq: head.seq + 1,
    time: input.time.toISOString(),
    kind: input.kind,
    actor: input.actor,
    // A deep copy through JSON, so a caller mutating its object later cannot change what was hashed.
    detail: JSON.parse(JSON.stringify(input.detail)),
    prevHash: head.hash,
  };
  const hash = auditEntryHash(entry);
  const signature = Buffer.from(signer.sign(Buffer.from(hash, 'hex'))).toString('hex');
  const record: AuditRecord = Object.freeze({ ...entry, hash, signature });
  return { record, newHead: Object.freeze({ seq: entry.seq, hash }) };
}
