/**
 * Hand-written shape checks for the signed collateral JSON (TCB info, QE identity) and the
 * bundle. They replace zod on the verification path: the same rules (required fields, types,
 * integer ranges, hex lengths, parseable dates; unknown keys ignored, as zod's z.object does),
 * at a fraction of the cost per verification. Every failure goes through `fail` with the JSON
 * path of the offending value, so callers raise their own typed error (TCB_INFO_INVALID, ...).
 */
export type Fail = (message: string) => never;

export type Json = Record<string, unknown>;

export class JsonShape {
  constructor(private readonly fail: Fail) {}

  private at(path: string, message: string): never {
    return this.fail(`${path || '(root)'}: ${message}`);
  }

  /** A JSON object (not null, not an array). */
  object(v: unknown, path: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.at(path, `want an object, got ${kind(v)}`);
    return v as Json;
  }

  /** An array of at least `min` items (exactly `length` when given). */
  array(v: unknown, path: string, o: { min?: number; length?: number } = {}): unknown[] {
    if (!Array.isArray(v)) this.at(path, `want an array, got ${kind(v)}`);
    if (o.length !== undefined && v.length !== o.length) this.at(path, `want ${o.length} items, got ${v.length}`);
    if (o.min !== undefined && v.length < o.min) this.at(path, `want at least ${o.min} items, got ${v.length}`);
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.at(path, `want a string, got ${kind(v)}`);
    return v;
  }

  /** An integer in [min, max] (JSON numbers are finite; fractions are rejected). */
  int(v: unknown, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.at(path, `want an integer, got ${kind(v)}`);
    if (v < min || v > max) this.at(path, `want ${min}..${max}, got ${v}`);
    return v;
  }

  /** Exactly `bytes` bytes of hex (either case). */
  hex(v: unknown, path: string, bytes: number): string {
    const s = this.string(v, path);
    if (s.length !== bytes * 2 || !isHex(s)) this.at(path, `want ${bytes} bytes of hex`);
    return s;
  }

  /** A date string Date.parse accepts (Intel writes ISO 8601 UTC). */
  date(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (Number.isNaN(Date.parse(s))) this.at(path, 'want an ISO 8601 date');
    return s;
  }

  /** One of `allowed`. */
  oneOf<T extends string | number>(v: unknown, path: string, allowed: readonly T[]): T {
    if (!(allowed as readonly unknown[]).includes(v)) this.at(path, `want one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v) ?? kind(v)}`);
    return v as T;
  }

  /** Absent (undefined) or an array of strings. */
  optionalStrings(v: unknown, path: string): readonly string[] {
    if (v === undefined) return [];
    const a = this.array(v, path);
    for (let i = 0; i < a.length; i++) this.string(a[i], `${path}.${i}`);
    return a as string[];
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 0-9, A-F, a-f
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
