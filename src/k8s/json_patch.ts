/**
 * RFC 6902 JSON Patch from a before/after pair: the admission response format
 * (`patchType: JSONPatch`). Diffing the finished pod, instead of emitting operations while
 * mutating, keeps the mutation code a plain function of the pod and makes "nothing changed"
 * exactly "no operations" (idempotence). Paths use RFC 6901 escaping (`~0`, `~1`), which
 * annotation keys such as `cloister.dev/workload` need.
 */
export type JsonPatchOp =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown };

export function diffJson(before: unknown, after: unknown, path = ''): JsonPatchOp[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const ops: JsonPatchOp[] = [];
    for (const k of Object.keys(before)) if (!Object.hasOwn(after, k)) ops.push({ op: 'remove', path: `${path}/${escapePointer(k)}` });
    for (const [k, v] of Object.entries(after)) {
      const p = `${path}/${escapePointer(k)}`;
      if (!Object.hasOwn(before, k)) ops.push({ op: 'add', path: p, value: v });
      else ops.push(...diffJson(before[k], v, p));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    // Same length: element-wise. A pure append: add at the end. Anything else (an insert at the
    // front, a removal): replace the array, which cannot be misapplied to a shifted list.
    const prefix = before.length <= after.length && before.every((v, i) => jsonEqual(v, after[i]));
    if (before.length === after.length) return before.flatMap((v, i) => diffJson(v, after[i], `${path}/${i}`));
    if (prefix) return after.slice(before.length).map((v, i) => ({ op: 'add', path: `${path}/${before.length + i}`, value: v }));
    return [{ op: 'replace', path, value: after }];
  }
  return jsonEqual(before, after) ? [] : [{ op: 'replace', path, value: after }];
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
