import { createHash } from 'node:crypto';
import { toHex } from '../common/bytes.js';
import { RecoveryError } from './errors.js';

/**
 * A recovery share and its v1 binary form (what is encrypted to a holder):
 *
 *   "CLSH" | 0x01 | setId (16) | threshold (1) | total (1) | index (1) | check (32) | len (1) | value (len)
 *
 * setId names one split (a fresh random id each time the data key is split), so a share of
 * another coordinator or of an older split is recognised as foreign. `check` is
 * SHA-256("cloister/recovery-check/v1" || 0x00 || setId || k || n || secret): a combination is
 * accepted only if it reproduces it. Publishing that hash is safe because secrets are at least
 * 16 random bytes (a data key), far beyond guessing.
 */
export interface Share {
  readonly setId: string;
  readonly threshold: number;
  readonly total: number;
  /** x coordinate, 1..total. */
  readonly index: number;
  readonly check: string;
  readonly value: Uint8Array;
}

export const SHARE_MAGIC = 'CLSH';
export const SHARE_VERSION = 1;
export const CHECK_LABEL = 'cloister/recovery-check/v1';
export const SHARE_DIGEST_LABEL = 'cloister/recovery-share/v1';
export const MIN_SECRET_BYTES = 16;
/** A data key is 32 bytes; 64 leaves room while a share still fits one RSA-2048 OAEP block. */
export const MAX_SECRET_BYTES = 64;
const HEADER = 4 + 1 + 16 + 3 + 32 + 1;

export function encodeShare(s: Share): Uint8Array {
  checkShareFields(s);
  const out = Buffer.alloc(HEADER + s.value.length);
  out.write(SHARE_MAGIC, 0, 'ascii');
  out[4] = SHARE_VERSION;
  Buffer.from(s.setId, 'hex').copy(out, 5);
  out[21] = s.threshold;
  out[22] = s.total;
  out[23] = s.index;
  Buffer.from(s.check, 'hex').copy(out, 24);
  out[56] = s.value.length;
  Buffer.from(s.value).copy(out, HEADER);
  return new Uint8Array(out);
}

export function decodeShare(bytes: Uint8Array): Share {
  const b = Buffer.from(bytes);
  const bad = (what: string): never => {
    throw new RecoveryError('RECOVERY_SHARE_MALFORMED', `recovery share: ${what}`);
  };
  if (b.length < HEADER) bad(`got ${b.length} bytes, want at least ${HEADER}`);
  if (b.subarray(0, 4).toString('latin1') !== SHARE_MAGIC) bad(`magic: got ${toHex(b.subarray(0, 4))}, want ${Buffer.from(SHARE_MAGIC).toString('hex')}`);
  if (b[4] !== SHARE_VERSION) bad(`version: got ${b[4]}, want ${SHARE_VERSION}`);
  const len = b[56]!;
  if (b.length !== HEADER + len) bad(`length: got ${b.length} bytes, want ${HEADER + len} for a ${len}-byte value`);
  const share: Share = {
    setId: toHex(b.subarray(5, 21)),
    threshold: b[21]!,
    total: b[22]!,
    index: b[23]!,
    check: toHex(b.subarray(24, 56)),
    value: new Uint8Array(b.subarray(HEADER)),
  };
  checkShareFields(share);
  return share;
}

/** Syntax and ranges of a share; RECOVERY_SHARE_MALFORMED otherwise. */
export function checkShareFields(s: Share): void {
  const bad = (what: string): never => {
    throw new RecoveryError('RECOVERY_SHARE_MALFORMED', `recovery share: ${what}`);
  };
  if (typeof s !== 'object' || s === null) bad('not an object');
  if (typeof s.setId !== 'string' || !/^[0-9a-f]{32}$/.test(s.setId)) bad('setId: want 32 lowercase hex digits');
  if (typeof s.check !== 'string' || !/^[0-9a-f]{64}$/.test(s.check)) bad('check: want 64 lowercase hex digits');
  if (!Number.isInteger(s.total) || s.total < 1 || s.total > 255) bad(`total: got ${s.total}, want 1..255`);
  if (!Number.isInteger(s.threshold) || s.threshold < 1 || s.threshold > s.total) bad(`threshold: got ${s.threshold}, want 1..${s.total}`);
  if (!Number.isInteger(s.index) || s.index < 1 || s.index > s.total) bad(`index: got ${s.index}, want 1..${s.total}`);
  if (!(s.value instanceof Uint8Array) || s.value.length < MIN_SECRET_BYTES || s.value.length > MAX_SECRET_BYTES) {
    bad(`value: want ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes`);
  }
}

/** Lowercase hex SHA-256 check value binding a secret to its split parameters. */
export function secretCheck(setId: string, threshold: number, total: number, secret: Uint8Array): string {
  return createHash('sha256')
    .update(CHECK_LABEL, 'ascii')
    .update(Buffer.of(0))
    .update(Buffer.from(setId, 'hex'))
    .update(Buffer.of(threshold, total))
    .update(secret)
    .digest('hex');
}

/** Lowercase hex SHA-256 of a share's encoding under a label, recorded per index at split time. */
export function shareDigest(s: Share): string {
  return createHash('sha256').update(SHARE_DIGEST_LABEL, 'ascii').update(Buffer.of(0)).update(encodeShare(s)).digest('hex');
}
