import type { AuditRecord } from './record.js';

/**
 * Output of `cloister audit log`: one line per entry for people, or JSON for tools. Detail is
 * printed as canonical-looking compact JSON on the same line; control characters cannot
 * appear (JSON.stringify escapes them), so an entry can never fake a second line.
 */
export function renderAuditLine(r: AuditRecord): string {
  return `#${String(r.seq).padStart(6, '0')}  ${r.time}  ${r.kind.padEnd(20)}  ${r.actor}  ${JSON.stringify(r.detail)}  ${r.hash.slice(0, 16)}`;
}

export function renderAuditLines(records: readonly AuditRecord[]): string {
  if (records.length === 0) return '(audit log is empty)\n';
  return `${records.map(renderAuditLine).join('\n')}\n`;
}

/** JSON for `--json`: the records exactly as stored (verifiable by `cloister audit verify`), plus the head. */
export function renderAuditJson(records: readonly AuditRecord[]): string {
  const last = records[records.length - 1];
  const head = last === undefined ? { seq: 0, hash: '0'.repeat(64) } : { seq: last.seq, hash: last.hash };
  const entries = records.map(({ seq, time, kind, actor, detail, prevHash, hash, signature }) => ({ seq, time, kind, actor, detail, prevHash, hash, signature }));
  return `${JSON.stringify({ head, entries }, null, 2)}\n`;
}
