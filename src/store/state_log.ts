import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../common/bytes.js';
import { StoreError } from './errors.js';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, type KeySpace } from './store.js';

/**
 * The file store's write-ahead log, `state.log`: commits made since the last snapshot (`state`,
 * state_file.ts), appended and fsynced in groups, so a commit costs one append + fdatasync
 * instead of rewriting the whole state. Records, back to back (integers big-endian):
 *
 *   length   4 B   byte length of body
 *   body           revision u64 | putCount u32 | puts { keyLen u32, key, valueLen u32, value }
 *                  | deleteCount u32 | deletes { keyLen u32, key }
 *   checksum 32 B  SHA-256 of length || body
 *
 * Replay applies records in order onto the snapshot: records at or below the snapshot's
 * revision are skipped (a crash between writing a snapshot and emptying the log leaves them),
 * the next must be exactly one revision higher (a gap is STORE_CORRUPT). The log ends at the
 * first record that is incomplete or fails its checksum: the store appends a group only after
 * the previous group's fdatasync returned, and acknowledges a commit only after its own group's
 * fdatasync, so bytes after such a record were never acknowledged (a crash mid-append, whose
 * pages may reach the disk in any order). The store cuts the log there before appending again.
 */
export const LOG_FILE_SUFFIX = '.log';
const CHECKSUM_BYTES = 32;

export interface LogRecord {
  readonly revision: bigint;
  readonly put: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array }>;
  readonly delete: readonly string[];
}

export function encodeLogRecord(r: LogRecord): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    parts.push(b);
  };
  const rev = Buffer.alloc(8);
  rev.writeBigUInt64BE(r.revision);
  parts.push(rev);
  u32(r.put.length);
  for (const p of r.put) {
    const k = Buffer.from(p.key, 'utf8');
    u32(k.length);
    parts.push(k);
    u32(p.value.byteLength);
    parts.push(Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength));
  }
  u32(r.delete.length);
  for (const key of r.delete) {
    const k = Buffer.from(key, 'utf8');
    u32(k.length);
    parts.push(k);
  }
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body, createHash('sha256').update(len).update(body).digest()]);
}

function corrupt(why: string): StoreError {
  return new StoreError('STORE_CORRUPT', `state log is corrupt: ${why}`);
}

/** Parses one record body whose checksum already matched; throws STORE_CORRUPT on a bad shape. */
function decodeBody(body: Buffer): LogRecord {
  let at = 0;
  const need = (n: number, what: string) => {
    if (at + n > body.length) throw corrupt(`${what} runs past the end of its record`);
  };
  const u32 = (what: string) => {
    need(4, what);
    const v = body.readUInt32BE(at);
    at += 4;
    return v;
  };
  const key = (what: string) => {
    const n = u32(`${what} key length`);
    if (n === 0 || n > MAX_KEY_BYTES) throw corrupt(`${what}: key length ${n}`);
    need(n, `${what} key`);
    const k = body.subarray(at, at + n).toString('utf8');
    at += n;
    return k;
  };
  need(8, 'revision');
  const revision = body.readBigUInt64BE(0);
  at = 8;
  const put: Array<{ key: string; value: Uint8Array }> = [];
  for (let i = 0, n = u32('put count'); i < n; i++) {
    const k = key(`put ${i}`);
    const vl = u32(`put ${i} value length`);
    if (vl > MAX_VALUE_BYTES) throw corrupt(`put ${i}: value length ${vl}`);
    need(vl, `put ${i} value`);
    put.push({ key: k, value: new Uint8Array(body.subarray(at, at + vl)) });
    at += vl;
  }
  const del: string[] = [];
  for (let i = 0, n = u32('delete count'); i < n; i++) del.push(key(`delete ${i}`));
  if (at !== body.length) throw corrupt(`${body.length - at} trailing bytes in the record of revision ${revision}`);
  return { revision, put, delete: del };
}

/**
 * Applies the log onto `space` (mutated) and returns the byte length of its valid prefix:
 * where the store must cut the file before it appends.
 */
export function replayLog(space: KeySpace, log: Uint8Array): number {
  const buf = Buffer.from(log.buffer, log.byteOffset, log.byteLength);
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32BE(at);
    const end = at + 4 + len + CHECKSUM_BYTES;
    if (end > buf.length) break; // torn tail
    const want = createHash('sha256').update(buf.subarray(at, at + 4 + len)).digest();
    if (!constantTimeEqual(buf.subarray(at + 4 + len, end), want)) break; // torn tail
    const r = decodeBody(buf.subarray(at + 4, at + 4 + len));
    if (r.revision > space.revision) {
      if (r.revision !== space.revision + 1n) throw corrupt(`record of revision ${r.revision} follows revision ${space.revision}`);
      for (const p of r.put) space.entries.set(p.key, { value: p.value, revision: r.revision });
      for (const k of r.delete) space.entries.delete(k);
      space.revision = r.revision;
    }
    at = end;
  }
  return at;
}
