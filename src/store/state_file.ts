import { createHash } from 'node:crypto';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import { StoreError } from './errors.js';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, type KeySpace } from './store.js';

/**
 * The file store keeps the whole key space in one file, `state`, replaced atomically on every
 * commit. Layout (all integers big-endian):
 *
 *   magic    8 B   "CLSTATE\x01" (format version 1 in the last byte)
 *   revision 8 B   store revision (u64)
 *   count    4 B   number of entries (u32)
 *   entries        count x { keyLen u32, key UTF-8, revision u64, valueLen u32, value }
 *   checksum 32 B  SHA-256 of everything before it
 *
 * rename() already makes a commit all-or-nothing; the checksum catches what rename cannot:
 * a disk or filesystem that lost or mangled bytes. A bad file is reported (STORE_CORRUPT),
 * never silently replaced by an empty state.
 */
const MAGIC = new Uint8Array([0x43, 0x4c, 0x53, 0x54, 0x41, 0x54, 0x45, 0x01]); // "CLSTATE" v1
const CHECKSUM_BYTES = 32;

export function encodeStateFile(space: KeySpace): Uint8Array {
  const parts: Buffer[] = [Buffer.from(MAGIC)];
  const head = Buffer.alloc(12);
  head.writeBigUInt64BE(space.revision, 0);
  head.writeUInt32BE(space.entries.size, 8);
  parts.push(head);
  for (const [key, e] of space.entries) {
    const k = Buffer.from(key, 'utf8');
    const kl = Buffer.alloc(4);
    kl.writeUInt32BE(k.length);
    const meta = Buffer.alloc(12);
    meta.writeBigUInt64BE(e.revision, 0);
    meta.writeUInt32BE(e.value.byteLength, 8);
    parts.push(kl, k, meta, Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength));
  }
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([body, createHash('sha256').update(body).digest()]));
}

function corrupt(why: string, detail?: Record<string, unknown>): StoreError {
  return new StoreError('STORE_CORRUPT', `state file is corrupt: ${why}`, detail === undefined ? undefined : { detail });
}

export function decodeStateFile(bytes: Uint8Array): KeySpace {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 12 + CHECKSUM_BYTES) throw corrupt(`got ${buf.length} bytes, want at least ${MAGIC.length + 12 + CHECKSUM_BYTES}`);
  const magic = buf.subarray(0, MAGIC.length);
  if (!magic.equals(MAGIC)) throw corrupt(`magic: got ${toHex(magic)}, want ${toHex(MAGIC)}`);
  const body = buf.subarray(0, buf.length - CHECKSUM_BYTES);
  const want = createHash('sha256').update(body).digest();
  const got = buf.subarray(buf.length - CHECKSUM_BYTES);
  if (!constantTimeEqual(got, want)) throw corrupt(`checksum: got ${toHex(got)}, want ${toHex(want)}`);

  let at = MAGIC.length;
  const need = (n: number, what: string): void => {
    if (at + n > body.length) throw corrupt(`${what} runs past the end at offset ${at}`);
  };
  const revision = body.readBigUInt64BE(at);
  const count = body.readUInt32BE(at + 8);
  at += 12;
  const entries = new Map<string, { value: Uint8Array; revision: bigint }>();
  for (let i = 0; i < count; i++) {
    need(4, `entry ${i} key length`);
    const kl = body.readUInt32BE(at);
    at += 4;
    if (kl === 0 || kl > MAX_KEY_BYTES) throw corrupt(`entry ${i}: key length ${kl}`);
    need(kl + 12, `entry ${i}`);
    const key = body.subarray(at, at + kl).toString('utf8');
    at += kl;
    const rev = body.readBigUInt64BE(at);
    const vl = body.readUInt32BE(at + 8);
    at += 12;
    if (vl > MAX_VALUE_BYTES) throw corrupt(`entry ${i}: value length ${vl}`);
    need(vl, `entry ${i} value`);
    if (rev === 0n || rev > revision) throw corrupt(`entry ${i}: revision ${rev} outside 1..${revision}`);
    if (entries.has(key)) throw corrupt(`entry ${i}: duplicate key ${JSON.stringify(key)}`);
    entries.set(key, { value: new Uint8Array(body.subarray(at, at + vl)), revision: rev });
    at += vl;
  }
  if (at !== body.length) throw corrupt(`${body.length - at} trailing bytes after ${count} entries`);
  return { revision, entries };
}
