import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { crossReferenceIssues } from './crossref.js';
import { findDuplicateJsonKey } from './json_duplicates.js';
import { ManifestError, type ManifestIssue } from './errors.js';
import { manifestSchema, type Manifest } from './schema.js';

export type ManifestFormat = 'json' | 'yaml' | 'auto';

/**
 * Parses and validates a manifest: text -> plain value (JSON or YAML) -> zod schema ->
 * cross-references. Any problem is one ManifestError MANIFEST_INVALID whose
 * `detail.issues` lists every problem found at that stage with its exact path.
 */
export function parseManifest(text: string, format: ManifestFormat = 'auto'): Manifest {
  const value = parseText(text, format);
  return validateManifest(value);
}

/** Validates an already-parsed value (e.g. a JSON request body). */
export function validateManifest(value: unknown): Manifest {
  const protoIssues = forbiddenKeyIssues(value, []);
  if (protoIssues.length > 0) throw invalid(protoIssues);
  const result = manifestSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw invalid(result.error.issues.flatMap(formatIssue));
  const cross = crossReferenceIssues(result.data);
  if (cross.length > 0) throw invalid(cross);
  return result.data;
}

function invalid(issues: ManifestIssue[]): ManifestError {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ManifestError('MANIFEST_INVALID', `manifest invalid at '${first.path}': ${first.message}${more}`, { detail: { issues } });
}

function parseText(text: string, format: ManifestFormat): unknown {
  const f = format === 'auto' ? (/^\s*[{[]/.test(text) ? 'json' : 'yaml') : format;
  if (f === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw invalid([{ path: '', message: `not valid JSON: ${(e as Error).message}` }]);
    }
    const dup = findDuplicateJsonKey(text);
    if (dup !== undefined) throw invalid([{ path: '', message: `duplicate key '${dup.key}' at offset ${dup.offset}` }]);
    return value;
  }
  const doc = parseDocument(text, { uniqueKeys: true, schema: 'core', merge: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw invalid(doc.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split("\n")[0]}` })));
  }
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw invalid([{ path: '', message: `not valid YAML: ${(e as Error).message}` }]);
  }
}

function position(e: { linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const p = e.linePos?.[0];
  return p === undefined ? '' : `at line ${p.line}, column ${p.col}`;
}

/** `__proto__` would be dropped (or worse) by object construction: refuse it wherever it appears. */
function forbiddenKeyIssues(v: unknown, path: string[]): ManifestIssue[] {
  if (v === null || typeof v !== 'object') return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => forbiddenKeyIssues(x, [...path, String(i)]));
  const out: ManifestIssue[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k === '__proto__') out.push({ path: [...path, k].join('.'), message: "the key '__proto__' is not allowed" });
    else out.push(...forbiddenKeyIssues(x, [...path, k]));
  }
  return out;
}

function formatIssue(i: z.core.$ZodIssue): ManifestIssue[] {
  const path = i.path.map(String);
  if (i.code === 'unrecognized_keys') {
    return i.keys.map((k) => ({ path: [...path, k].join('.'), message: `unknown key '${k}'` }));
  }
  if (i.code === 'invalid_key') {
    return [{ path: path.join('.'), message: `invalid key '${String(path.at(-1))}': ${i.issues.map((n) => n.message).join('; ')}` }];
  }
  if (i.code === 'invalid_type' && i.input === undefined) {
    return [{ path: path.join('.'), message: `required ${i.expected === 'object' || i.expected === 'record' ? 'section' : i.expected} is missing` }];
  }
  return [{ path: path.join('.'), message: i.message }];
}
