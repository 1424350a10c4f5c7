import { toHex } from '../../common/bytes.js';
import { EvidenceError } from '../errors.js';

/**
 * Append-only little-endian writer for the serializer. Every write checks that the value
 * fits its wire field, so a quote object with a wrong-sized field fails loudly
 * (QUOTE_STRUCTURE_INVALID) instead of producing bytes that parse as something else.
 */
export class ByteWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  u16(value: number, what: string): void {
    checkUint(value, 0xffff, what);
    this.push(Uint8Array.of(value & 0xff, value >>> 8));
  }

  u32(value: number, what: string): void {
    checkUint(value, 0xffffffff, what);
    this.push(Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24));
  }

  /** A fixed-size byte field: the length must be exactly `size`. */
  fixed(bytes: Uint8Array, size: number, what: string): void {
    if (!(bytes instanceof Uint8Array) || bytes.length !== size) {
      throw structureError(`${what} must be ${size} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
    }
    this.push(bytes);
  }

  /** Variable-length bytes whose length the caller has written (or derives) separately. */
  bytes(bytes: Uint8Array, what: string): void {
    if (!(bytes instanceof Uint8Array)) throw structureError(`${what} must be a Uint8Array, got ${typeof bytes}`);
    this.push(bytes);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw structureError(`${what} must be an integer in 0..${max}, got ${String(value)}`);
  }
}

export function structureError(message: string, detail?: Record<string, unknown>): EvidenceError {
  return new EvidenceError('QUOTE_STRUCTURE_INVALID', `cannot serialize quote: ${message}`, detail === undefined ? undefined : { detail });
}

/** Throws QUOTE_STRUCTURE_INVALID unless `got` equals `want` byte for byte. */
export function checkSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (got.length !== want.length || !got.every((b, i) => b === want[i])) {
    throw structureError(`${what} disagrees with the fields it is derived from: got ${toHex(got)}, want ${toHex(want)}`);
  }
}
