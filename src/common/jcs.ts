import { CloisterError, type CodeTable } from './errors.js';

/** Lives in common because manifests, proposals, signed requests and audit entries all hash JCS. */
export const JCS_CODES = {
  CANONICAL_JSON_UNSUPPORTED:
    'A value cannot be serialized as RFC 8785 canonical JSON (non-finite number, lone surrogate, undefined, non-plain object).',
} as const satisfies CodeTable;

export class JcsError extends CloisterError<keyof typeof JCS_CODES> {}

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for the JSON data model:
 * - no whitespace;
 * - object members sorted by their names as arrays of UTF-16 code units (RFC 8785 §3.2.3),
 *   which is exactly what Array.prototype.sort() does for strings without a comparator;
 * - numbers serialized with ECMAScript's Number::toString (RFC 8785 §3.2.2.3 adopts it; -0 is "0");
 * - strings escaped as ECMAScript JSON.stringify does (§3.2.2.2: \b \t \n \f \r \" \\, other
 *   controls as \u00xx lowercase, everything else literal); lone surrogates are refused because
 *   I-JSON (RFC 7493), which JCS requires, forbids them.
 * Unsupported values (undefined in arrays, functions, bigint, Dates, typed arrays, NaN, Infinity)
 * are refused with CANONICAL_JSON_UNSUPPORTED rather than coerced. Object members whose value is
 * undefined are omitted, like JSON.stringify (they are absent in the JSON data model).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(v: unknown, out: string[], path: string): void {
  if (v === null) out.push('null');
  else if (v === true) out.push('true');
  else if (v === false) out.push('false');
  else if (typeof v === 'number') out.push(serializeNumber(v, path));
  else if (typeof v === 'string') out.push(serializeString(v, path));
  else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((x, i) => {
      if (i > 0) out.push(',');
      if (x === undefined) unsupported(`${path}[${i}]`, 'undefined in an array');
      write(x, out, `${path}[${i}]`);
    });
    out.push(']');
  } else if (typeof v === 'object' && isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(serializeString(k, path), ':');
      write((v as Record<string, unknown>)[k], out, `${path}.${k}`);
    });
    out.push('}');
  } else unsupported(path, v === undefined ? 'undefined' : typeof v === 'object' ? `a ${v.constructor?.name ?? 'non-plain'} object` : `a ${typeof v}`);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** ECMAScript Number::toString, which RFC 8785 §3.2.2.3 prescribes; String(-0) is already "0". */
function serializeNumber(n: number, path: string): string {
  if (!Number.isFinite(n)) unsupported(path, `the number ${n}`);
  return String(n);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) unsupported(path, 'a string with a lone surrogate');
  // Well-formed JSON.stringify (ES2019) emits exactly the RFC 8785 escapes for well-formed strings.
  return JSON.stringify(s);
}

function unsupported(path: string, what: string): never {
  throw new JcsError('CANONICAL_JSON_UNSUPPORTED', `canonical JSON cannot represent ${what} at ${path}`, { detail: { path } });
}
