import { CaError } from './errors.js';

/**
 * A minimal DER (X.690) writer for the certificates the CA builds on its hot path (workload
 * leaves, one per activation): each function returns the complete TLV. Building the DER
 * directly and signing it with node:crypto costs a few microseconds, where @peculiar/x509's
 * schema-driven serializer on WebCrypto cost about a millisecond per leaf (profile: bench/
 * coordinator.ts). Only the forms X.509 needs: definite lengths, single-byte tags.
 */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else if (n < 0x100) head = [tag, 0x81, n];
  else if (n < 0x10000) head = [tag, 0x82, n >> 8, n & 0xff];
  else if (n < 0x1000000) head = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  else throw new CaError('CA_SNAPSHOT_INVALID', `DER value of ${n} bytes is larger than a certificate can be`);
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  out.set(content, head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(items));
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, concat(items));
/** [n] EXPLICIT: a constructed context tag around one complete TLV. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);
/** [n] IMPLICIT on a primitive: the context tag replaces the universal one. */
export const implicitPrimitive = (n: number, content: Uint8Array): Uint8Array => tlv(0x80 | n, content);
export const octetString = (content: Uint8Array): Uint8Array => tlv(0x04, content);
export const booleanTrue = (): Uint8Array => new Uint8Array([0x01, 0x01, 0xff]);
/** BIT STRING with no unused bits (signatures, keys). */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(0x03, concat([new Uint8Array([0]), bytes]));

/** A non-negative INTEGER from big-endian magnitude bytes (minimal: leading zeros dropped, 0x00 added before a high bit). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return tlv(0x02, m.length > 0 && m[0]! & 0x80 ? concat([new Uint8Array([0]), m]) : m);
}

export function smallInteger(n: number): Uint8Array {
  return tlv(0x02, new Uint8Array([n]));
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const b = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) b.unshift((v & 0x7f) | 0x80);
    out.push(...b);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, new Uint8Array(out));
}

const PRINTABLE_RE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string as @peculiar/x509 writes it: PrintableString when it can be, else UTF8String. */
export function directoryString(s: string): Uint8Array {
  return PRINTABLE_RE.test(s) ? tlv(0x13, Buffer.from(s, 'latin1')) : tlv(0x0c, Buffer.from(s, 'utf8'));
}

export function ia5(tagged: number, s: string): Uint8Array {
  return implicitPrimitive(tagged, Buffer.from(s, 'latin1'));
}

/** X.509 Time (RFC 5280 4.1.2.5): UTCTime for 1950-2049, GeneralizedTime otherwise; whole seconds. */
export function time(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = d.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1')) : tlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}
