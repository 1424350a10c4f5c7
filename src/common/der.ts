import { CloisterError } from './errors.js';

/**
 * A minimal DER (X.690) reader: enough to walk certificates, CRLs and extensions on hot
 * verify paths without building an object model. Callers catch DerError and rethrow it
 * with their own layer's code (the DER problem is the cause).
 */
export class DerError extends CloisterError<'DER_MALFORMED'> {}

export interface DerNode {
  readonly tag: number;
  /** offset of the tag byte in the input */
  readonly start: number;
  /** offset of the first content byte */
  readonly contentStart: number;
  /** offset just past the content */
  readonly end: number;
}

export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function fail(message: string, at: number): never {
  throw new DerError('DER_MALFORMED', `malformed DER: ${message} at offset ${at}`, { detail: { offset: at } });
}

/** Reads one TLV at `offset`, which must end at or before `limit`. Only single-byte tags. */
export function readNode(buf: Uint8Array, offset: number, limit: number = buf.length): DerNode {
  if (offset + 2 > limit) fail('truncated header', offset);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) fail('multi-byte tags are not supported', offset);
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) fail('unsupported length encoding', offset);
    if (p + n > limit) fail('truncated length', offset);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80 || (n > 1 && buf[p] === 0)) fail('non-minimal length', offset);
    p += n;
  }
  const end = p + len;
  if (end > limit) fail('content runs past its container', offset);
  return { tag, start: offset, contentStart: p, end };
}

/** The children of a constructed node, in order. */
export function children(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.end) {
    const c = readNode(buf, p, node.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) fail(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`, node.start);
  return node;
}

export function content(buf: Uint8Array, node: DerNode): Uint8Array {
  return buf.subarray(node.contentStart, node.end);
}

export function whole(buf: Uint8Array, node: DerNode): Uint8Array {
  return buf.subarray(node.start, node.end);
}

/** Dotted-decimal form of an OBJECT IDENTIFIER node. */
export function readOid(buf: Uint8Array, node: DerNode): string {
  expectTag(node, DER_TAG.OID, 'OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = node.contentStart; i < node.end; i++) {
    const b = buf[i]!;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  if (node.end > node.contentStart && buf[node.end - 1]! & 0x80) fail('OID ends mid-arc', node.start);
  return parts.join('.');
}

/** A small non-negative INTEGER (or ENUMERATED) as a number; rejects values above 2^48. */
export function readSmallInt(buf: Uint8Array, node: DerNode): number {
  if (node.tag !== DER_TAG.INTEGER && node.tag !== DER_TAG.ENUMERATED) fail('expected INTEGER', node.start);
  const bytes = content(buf, node);
  if (bytes.length === 0) fail('empty INTEGER', node.start);
  if (bytes[0]! & 0x80) fail('negative INTEGER', node.start);
  if (bytes.length > 7) fail('INTEGER too large', node.start);
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** Two ASCII digits at p as a number, or a large negative number when either is not a digit. */
function twoDigits(buf: Uint8Array, p: number): number {
  const a = buf[p]! - 48;
  const b = buf[p + 1]! - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -10000;
}

/** UTCTime or GeneralizedTime (the forms X.509 uses: seconds, trailing Z). */
export function readTime(buf: Uint8Array, node: DerNode): Date {
  // Digits are read in place (no string, no regex): certificates and CRLs carry several times
  // each and this runs on every cold verification. Accepted forms: YYMMDDHHMMSSZ (UTCTime)
  // and YYYYMMDDHHMMSSZ (GeneralizedTime), ASCII digits only.
  const n = node.end - node.contentStart;
  const utc = node.tag === DER_TAG.UTC_TIME && n === 13;
  if ((utc || (node.tag === DER_TAG.GENERALIZED_TIME && n === 15)) && buf[node.end - 1] === 0x5a /* Z */) {
    const p = node.contentStart;
    const y = utc ? 0 : 2; // GeneralizedTime has two more year digits
    const yy = twoDigits(buf, p) * (utc ? 1 : 100) + (utc ? 0 : twoDigits(buf, p + 2));
    const year = utc ? (yy >= 50 ? 1900 + yy : 2000 + yy) : yy;
    const f = [twoDigits(buf, p + y + 2), twoDigits(buf, p + y + 4), twoDigits(buf, p + y + 6), twoDigits(buf, p + y + 8), twoDigits(buf, p + y + 10)] as const;
    if (yy >= 0 && f[0] >= 0 && f[1] >= 0 && f[2] >= 0 && f[3] >= 0 && f[4] >= 0) return new Date(Date.UTC(year, f[0] - 1, f[1], f[2], f[3], f[4]));
  }
  const s = Buffer.from(content(buf, node)).toString('latin1');
  return fail(`unsupported time '${s}'`, node.start);
}
