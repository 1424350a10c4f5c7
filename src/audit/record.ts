import { ACTOR_RE, HASH_RE, KIND_RE, TIME_RE, type AuditEntry } from './entry.js';
import { AuditError } from './errors.js';

/** An entry as stored and served: the six entry fields plus its hash and signature (lowercase hex). */
export interface AuditRecord extends AuditEntry {
  readonly hash: string;
  readonly signature: string;
}

const FIELDS = ['actor', 'detail', 'hash', 'kind', 'prevHash', 'seq', 'signature', 'time'];

export function encodeAuditRecord(r: AuditRecord): Uint8Array {
  const { seq, time, kind, actor, detail, prevHash, hash, signature } = r;
  return new TextEncoder().encode(JSON.stringify({ seq, time, kind, actor, detail, prevHash, hash, signature }));
}

/** Parses a stored record (bytes) and checks its shape; AUDIT_RECORD_MALFORMED otherwise. */
export function decodeAuditRecord(bytes: Uint8Array): AuditRecord {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AuditError('AUDIT_RECORD_MALFORMED', 'audit record: not UTF-8 JSON');
  }
  return checkAuditRecord(v, 'audit record');
}

/**
 * Checks that `v` has exactly the record fields with the right syntax. It does not check the
 * hash, signature or chain (verifyAuditLog does), only that they can be checked.
 */
export function checkAuditRecord(v: unknown, where: string): AuditRecord {
  const bad = (what: string): never => {
    throw new AuditError('AUDIT_RECORD_MALFORMED', `${where}: ${what}`, { detail: { where } });
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('not an object');
  const keys = Object.keys(v).sort();
  if (keys.join(',') !== FIELDS.join(',')) bad(`fields: got ${keys.join(',')}, want ${FIELDS.join(',')}`);
  const r = v as Record<string, unknown>;
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) bad(`seq: got ${JSON.stringify(r.seq)}, want an integer >= 1`);
  if (typeof r.time !== 'string' || !TIME_RE.test(r.time) || Number.isNaN(Date.parse(r.time))) bad(`time: got ${JSON.stringify(r.time)}, want ISO 8601 UTC with milliseconds`);
  if (typeof r.kind !== 'string' || !KIND_RE.test(r.kind)) bad(`kind: got ${JSON.stringify(r.kind)}, want dotted lowercase words`);
  if (typeof r.actor !== 'string' || !ACTOR_RE.test(r.actor)) bad(`actor: got ${JSON.stringify(r.actor)}, want printable ASCII without spaces`);
  if (r.detail === undefined) bad('detail: missing');
  for (const f of ['prevHash', 'hash'] as const) {
    if (typeof r[f] !== 'string' || !HASH_RE.test(r[f] as string)) bad(`${f}: got ${JSON.stringify(r[f])}, want 64 lowercase hex digits`);
  }
  if (typeof r.signature !== 'string' || !/^([0-9a-f]{2}){1,512}$/.test(r.signature)) bad('signature: want lowercase hex');
  return v as AuditRecord;
}
