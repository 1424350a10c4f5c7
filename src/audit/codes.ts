import type { CodeTable } from '../common/errors.js';

/** Stable codes of the signed audit log. Never rename; add new codes at the end. */
export const AUDIT_CODES = {
  AUDIT_ENTRY_INVALID: 'An audit entry to append has a bad kind, actor, time or detail (detail must be canonical-JSON representable).',
  AUDIT_RECORD_MALFORMED: 'A stored audit record or head is not the expected JSON shape (seq, time, kind, actor, detail, prevHash, hash, signature).',
  AUDIT_ENTRY_HASH_MISMATCH: 'An audit entry does not hash to its recorded entry hash: the entry was edited after it was written.',
  AUDIT_SIGNATURE_INVALID: "An audit entry's signature does not verify under the coordinator's public key.",
  AUDIT_CHAIN_BROKEN: "An audit entry's prevHash is not the hash of the entry before it (an entry was replaced or inserted).",
  AUDIT_SEQ_GAP: 'An audit sequence number is missing (an entry was removed, or the log does not start at seq 1).',
  AUDIT_SEQ_ORDER: 'An audit sequence number repeats or goes backwards (entries were reordered or duplicated).',
  AUDIT_HEAD_MISMATCH: 'The last audit entry is not the expected head (seq and hash): the log was truncated or is another log.',
  AUDIT_KEY_UNSUPPORTED: 'The audit signing key is not ECDSA P-256 or Ed25519.',
} as const satisfies CodeTable;

export type AuditCode = keyof typeof AUDIT_CODES;
