import { EvidenceError, type EvidenceCode } from '../errors.js';

/** The codes a reader may throw when a read runs past the end of its region. */
export type OverrunCode = Extract<EvidenceCode, 'QUOTE_TRUNCATED' | 'QUOTE_SIGNATURE_DATA_SIZE_INVALID' | 'CERT_DATA_SIZE_INVALID'>;

/**
 * A bounds-checked little-endian cursor over one region of the private copy of a quote.
 *
 * Every region knows which code an overrun means: running off the whole quote is
 * QUOTE_TRUNCATED, while running off a region whose length came from a length field inside
 * the quote (signature data, certification data) means that field disagrees with the nested
 * content. Reads return `subarray` views (no copies); offsets in messages are absolute.
 */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    private readonly overrun: OverrunCode,
    private readonly label: string,
  ) {
    this.pos = start;
  }

  /** A reader over all of `buf`; overruns are QUOTE_TRUNCATED. */
  static whole(buf: Uint8Array): ByteReader {
    return new ByteReader(buf, 0, buf.length, 'QUOTE_TRUNCATED', 'quote');
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string, code: OverrunCode): void {
    if (n > this.end - this.pos) {
      throw new EvidenceError(
        code,
        `${what} needs ${n} bytes at offset ${this.pos}, but the ${this.label} has ${this.end - this.pos} left`,
        { detail: { field: what, offset: this.pos, want: n, got: this.end - this.pos, region: this.label } },
      );
    }
  }

  u16(what: string): number {
    this.need(2, what, this.overrun);
    const p = this.pos;
    this.pos += 2;
    return this.buf[p]! | (this.buf[p + 1]! << 8);
  }

  u32(what: string): number {
    this.need(4, what, this.overrun);
    const p = this.pos;
    this.pos += 4;
    return (this.buf[p]! | (this.buf[p + 1]! << 8) | (this.buf[p + 2]! << 16) | (this.buf[p + 3]! << 24)) >>> 0;
  }

  /**
   * Fast path for fixed layouts: when n bytes remain, advances past them and returns their
   * absolute start offset and the underlying buffer; otherwise returns undefined and moves
   * nothing (the caller then reads field by field, which reports the exact field that overran).
   */
  tryTake(n: number): { readonly buf: Uint8Array; readonly start: number } | undefined {
    if (n > this.end - this.pos) return undefined;
    const start = this.pos;
    this.pos += n;
    return { buf: this.buf, start };
  }

  /** The next n bytes as a view; `code` overrides the overrun code (a length field of the quote said n). */
  bytes(n: number, what: string, code: OverrunCode = this.overrun): Uint8Array {
    this.need(n, what, code);
    const p = this.pos;
    this.pos += n;
    return this.buf.subarray(p, p + n);
  }

  /**
   * A reader over the next n bytes (n came from a length field), advancing past them. Reads
   * inside the new region that overrun it throw `inner`; n itself overrunning this region
   * throws `code` (default: this region's own overrun code).
   */
  sub(n: number, what: string, inner: OverrunCode, code: OverrunCode = this.overrun): ByteReader {
    this.need(n, what, code);
    const r = new ByteReader(this.buf, this.pos, this.pos + n, inner, what);
    this.pos += n;
    return r;
  }

  /** The whole region as a view (independent of the cursor). */
  region(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** Everything left in this region, as a view; the reader ends up at its end. */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }

  /** Throws `code` when bytes are left over: the length field promised more than its content used. */
  expectEnd(code: OverrunCode): void {
    if (this.pos !== this.end) {
      throw new EvidenceError(
        code,
        `${this.label} length mismatch: its length field says ${this.end - this.start} bytes, its content uses ${this.pos - this.start}`,
        { detail: { region: this.label, offset: this.start, want: this.pos - this.start, got: this.end - this.start } },
      );
    }
  }
}
