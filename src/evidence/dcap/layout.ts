import type { ByteReader } from './reader.js';
import type { ByteWriter } from './writer.js';

/**
 * A fixed-size structure described once and used both ways (parse and serialize), so the
 * two can never drift apart. Like go-tdx-guest abi/abi.go's Start/End constants, but as one
 * table per structure. Field order on the wire is the key order of the table (string keys
 * keep insertion order in JavaScript). The mapped type makes the compiler check that every
 * field of T is listed exactly once and that integer fields are read as integers.
 */
export type FieldKind = 'u16' | 'u32' | number;
export type Layout<T> = { readonly [K in keyof T]-?: T[K] extends number ? 'u16' | 'u32' : number };

export function layoutSize<T>(layout: Layout<T>): number {
  let n = 0;
  for (const kind of Object.values(layout) as FieldKind[]) n += kind === 'u16' ? 2 : kind === 'u32' ? 4 : kind;
  return n;
}

interface Field {
  readonly name: string;
  readonly kind: FieldKind;
  /** `${what}.${name}`, for overrun messages */
  readonly label: string;
}

/**
 * Field lists per (layout, what), built once: parsing a quote reads ~40 fields, and walking
 * Object.entries and building every label string on each parse cost more than the reads.
 */
interface Compiled {
  readonly fields: readonly Field[];
  /** total wire size of the layout */
  readonly size: number;
}

const compiled = new WeakMap<object, Map<string, Compiled>>();

function compile(layout: object, what: string): Compiled {
  let byWhat = compiled.get(layout);
  if (byWhat === undefined) compiled.set(layout, (byWhat = new Map()));
  let c = byWhat.get(what);
  if (c === undefined) {
    const fields = (Object.entries(layout) as Array<[string, FieldKind]>).map(([name, kind]) => ({ name, kind, label: `${what}.${name}` }));
    c = { fields, size: layoutSize(layout as Layout<unknown>) };
    byWhat.set(what, c);
  }
  return c;
}

/** Reads every field of `layout` in order; byte fields are views into the reader's buffer. */
export function readLayout<T>(r: ByteReader, layout: Layout<T>, what: string): T {
  const c = compile(layout, what);
  const out: Record<string, number | Uint8Array> = {};
  // When the whole layout fits, one bounds check covers every field (little-endian reads as
  // in ByteReader); otherwise the field-by-field path below names the field that overran.
  const whole = r.tryTake(c.size);
  if (whole !== undefined) {
    const b = whole.buf;
    let p = whole.start;
    for (const f of c.fields) {
      const kind = f.kind;
      if (kind === 'u16') {
        out[f.name] = b[p]! | (b[p + 1]! << 8);
        p += 2;
      } else if (kind === 'u32') {
        out[f.name] = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        p += 4;
      } else {
        out[f.name] = b.subarray(p, p + kind);
        p += kind;
      }
    }
    return out as T;
  }
  for (const f of c.fields) {
    const kind = f.kind;
    out[f.name] = kind === 'u16' ? r.u16(f.label) : kind === 'u32' ? r.u32(f.label) : r.bytes(kind, f.label);
  }
  // Every key of T was read with the kind the Layout<T> type demands for it.
  return out as T;
}

export function writeLayout<T>(w: ByteWriter, layout: Layout<T>, value: T, what: string): void {
  const v = value as Record<string, unknown>;
  for (const [name, kind] of Object.entries(layout) as Array<[string, FieldKind]>) {
    const label = `${what}.${name}`;
    const field = v[name];
    if (kind === 'u16' || kind === 'u32') w[kind](field as number, label);
    else w.fixed(field as Uint8Array, kind, label);
  }
}
