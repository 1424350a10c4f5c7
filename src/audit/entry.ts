import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/jcs.js';
import { AuditError } from './errors.js';

/**
 * One audit entry and its hash. The entry hash is SHA-256 over a domain label, a zero byte and
 * the RFC 8785 canonical JSON of exactly the six entry fields, so the same entry hashes the same
 * in any language and no other Cloister hash (manifest, proposal) can collide with it.
 */
export const AUDIT_ENTRY_LABEL = 'cloister/audit-entry/v1';

/** The kinds the coordinator appends today. Verification accepts any kind of the right syntax (see KIND_RE). */
export const AUDIT_KINDS = [
  'manifest.set',
  'manifest.proposed',
  'manifest.approved',
  'manifest.applied',
  'manifest.rejected',
  'secret.set',
  'workload.activated',
  'workload.deactivated',
  'certificate.revoked',
  'ca.rotated',
  'recovery.started',
  'recovery.completed',
  'volume.advanced',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

export interface AuditEntry {
  /** 1 for the first entry, then +1 each; never reused. */
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds (Date.prototype.toISOString), from the coordinator's Clock. */
  readonly time: string;
  readonly kind: string;
  /** Who caused it: 'coordinator', 'user:NAME', 'workload:NAME/INSTANCE', 'anonymous', 'recovery'. */
  readonly actor: string;
  readonly detail: JsonValue;
  /** Lowercase hex entry hash of entry seq-1; GENESIS_HASH for seq 1. */
  readonly prevHash: string;
}

/** prevHash of the first entry (and hash of the empty log's head). */
export const GENESIS_HASH = '0'.repeat(64);
/** Largest canonical detail: audit entries record what changed (hashes, names), not payloads. */
export const MAX_DETAIL_BYTES = 64 * 1024;

// Lowercase dotted words, so that new kinds (added by later versions) still verify in old clients.
export const KIND_RE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
// Printable, no whitespace: actors are identifiers, and an entry line must stay one line.
export const ACTOR_RE = /^[\x21-\x7e]{1,256}$/;
export const HASH_RE = /^[0-9a-f]{64}$/;
export const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Lowercase hex SHA-256 of the entry's labelled canonical form. */
export function auditEntryHash(entry: AuditEntry): string {
  const canonical = canonicalJson({
    seq: entry.seq,
    time: entry.time,
    kind: entry.kind,
    actor: entry.actor,
    detail: entry.detail,
    prevHash: entry.prevHash,
  });
  return createHash('sha256').update(AUDIT_ENTRY_LABEL, 'utf8').update(Buffer.of(0)).update(canonical, 'utf8').digest('hex');
}

/** What a caller supplies; seq and prevHash come from the head. */
export interface AuditEntryInput {
  readonly time: Date;
  readonly kind: AuditKind;
  readonly actor: string;
  readonly detail: JsonValue;
}

/** Throws AUDIT_ENTRY_INVALID unless the input can become an entry. */
export function checkEntryInput(input: AuditEntryInput): void {
  const bad = (what: string): never => {
    throw new AuditError('AUDIT_ENTRY_INVALID', `audit entry ${what}`);
  };
  if (!(AUDIT_KINDS as readonly string[]).includes(input.kind)) bad(`kind: got ${JSON.stringify(input.kind)}, want one of ${AUDIT_KINDS.join(', ')}`);
  if (typeof input.actor !== 'string' || !ACTOR_RE.test(input.actor)) bad(`actor: got ${JSON.stringify(input.actor)}, want 1-256 printable ASCII characters without spaces`);
  if (!(input.time instanceof Date) || Number.isNaN(input.time.getTime())) bad('time: not a valid Date');
  let size: number;
  try {
    size = Buffer.byteLength(canonicalJson(input.detail), 'utf8');
  } catch (e) {
    return bad(`detail: not representable as canonical JSON (${(e as Error).message})`);
  }
  if (size > MAX_DETAIL_BYTES) bad(`detail: got ${size} bytes, want at most ${MAX_DETAIL_BYTES}`);
}
