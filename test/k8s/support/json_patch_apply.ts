import type { JsonPatchOp } from '../../../src/k8s/index.js';

/**
 * A small RFC 6902 applier (add/remove/replace) for tests: applies what the webhook returns
 * the way the API server would, so tests check the resulting pod, not the patch's shape.
 */
export function applyPatch<T>(doc: T, ops: readonly JsonPatchOp[]): T {
  let root: unknown = structuredClone(doc);
  for (const op of ops) {
    const keys = op.path === '' ? [] : op.path.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (keys.length === 0) {
      if (op.op === 'remove') throw new Error('cannot remove the root');
      root = structuredClone(op.value);
      continue;
    }
    let parent = root as Record<string, unknown> | unknown[];
    for (const k of keys.slice(0, -1)) {
      const next = Array.isArray(parent) ? parent[Number(k)] : Object.hasOwn(parent, k) ? parent[k] : undefined;
      if (typeof next !== 'object' || next === null) throw new Error(`path ${op.path}: '${k}' does not exist`);
      parent = next as Record<string, unknown> | unknown[];
    }
    const last = keys[keys.length - 1]!;
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!(i >= 0 && i <= parent.length)) throw new Error(`path ${op.path}: index out of range`);
      if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      else if (op.op === 'remove') parent.splice(i, 1);
      else parent[i] = structuredClone(op.value);
    } else {
      if (op.op !== 'add' && !Object.hasOwn(parent, last)) throw new Error(`path ${op.path}: '${last}' does not exist`);
      if (op.op === 'remove') delete parent[last];
      // defineProperty: a '__proto__' key is data, never the prototype
      else Object.defineProperty(parent, last, { value: structuredClone(op.value), enumerable: true, writable: true, configurable: true });
    }
  }
  return root as T;
}
