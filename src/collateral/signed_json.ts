import { CollateralError } from './errors.js';

/**
 * Intel PCS serves `{"tcbInfo": {...}, "signature": "hex"}` (or `enclaveIdentity`), and the
 * signature covers the exact bytes of the inner object text as served. Re-serializing the
 * parsed object would change whitespace, key order or number spelling and break the
 * signature, so the inner value's text is cut out of the body instead (the same approach as
 * dcap-qvl src/collateral.rs and go-tdx-guest pcs/pcs.go, which keep the raw message).
 *
 * The body is first parsed with JSON.parse (so the scanner below only ever sees valid JSON),
 * then the top-level members are located by a string- and nesting-aware scan. Duplicate
 * top-level keys are rejected: JSON.parse keeps the last one, and a verifier must never check
 * a signature over one value while reading another.
 */
export interface SignedJson {
  /** exact text of the inner object */
  readonly text: string;
  /** the signature member as served */
  readonly signature: string;
}

function malformed(message: string, url: string): never {
  throw new CollateralError('COLLATERAL_RESPONSE_MALFORMED', `${message} from ${url}`, { detail: { url } });
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

/** End index (exclusive) of the string literal starting at `i` (s[i] === '"'). */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

/** End index (exclusive) of the JSON value starting at `i`. Input is known-valid JSON. */
function valueEnd(s: string, i: number): number {
  if (s[i] === '"') return stringEnd(s, i);
  if (s[i] !== '{' && s[i] !== '[') {
    let j = i;
    while (j < s.length && !',}] \t\r\n'.includes(s[j]!)) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '"') j = stringEnd(s, j) - 1;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return s.length;
}

/** Top-level members of a JSON object text: key -> [start, end) of the value text. */
export function topLevelSpans(text: string, url: string): Map<string, { start: number; end: number }> {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) malformed('response body is not a JSON object', url);
  } catch (e) {
    if (e instanceof CollateralError) throw e;
    malformed('response body is not JSON', url);
  }
  const spans = new Map<string, { start: number; end: number }>();
  let i = skipWs(text, 0) + 1; // past '{'
  for (;;) {
    i = skipWs(text, i);
    if (text[i] === '}') break;
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd) + 1; // past ':'
    const start = skipWs(text, i);
    const end = valueEnd(text, start);
    if (spans.has(key)) malformed(`response body has the member '${key}' twice`, url);
    spans.set(key, { start, end });
    i = skipWs(text, end);
    if (text[i] === ',') i++;
  }
  return spans;
}

/** Cuts `{"<member>": {...}, "signature": "hex"}` into the exact inner text and the signature. */
export function extractSignedJson(body: string, member: 'tcbInfo' | 'enclaveIdentity', url: string): SignedJson {
  const spans = topLevelSpans(body, url);
  const inner = spans.get(member);
  const sig = spans.get('signature');
  if (inner === undefined) malformed(`response body has no '${member}' member`, url);
  if (sig === undefined) malformed(`response body has no 'signature' member`, url);
  const text = body.slice(inner.start, inner.end);
  if (!text.startsWith('{')) malformed(`'${member}' is not a JSON object`, url);
  const signature: unknown = JSON.parse(body.slice(sig.start, sig.end));
  if (typeof signature !== 'string') malformed(`'signature' is not a string`, url);
  return { text, signature };
}
