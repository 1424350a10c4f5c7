import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { diffJson } from '../../src/k8s/index.js';
import { applyPatch } from './support/json_patch_apply.js';

test('diff: escaped pointers, appends, replacements, removals', () => {
  const a = { metadata: { labels: { 'cloister.dev/workload': 'web' } }, list: [1, 2], other: [1, 2, 3], gone: true };
  const b = { metadata: { labels: { 'cloister.dev/workload': 'web' }, annotations: { 'a~b/c': 'x' } }, list: [1, 2, 3], other: [0, 1, 2, 3] };
  const ops = diffJson(a, b);
  assert.deepEqual(ops, [
    { op: 'remove', path: '/gone' },
    { op: 'add', path: '/metadata/annotations', value: { 'a~b/c': 'x' } },
    { op: 'add', path: '/list/2', value: 3 },
    { op: 'replace', path: '/other', value: [0, 1, 2, 3] },
  ]);
  assert.deepEqual(applyPatch(a, ops), b);
  assert.deepEqual(diffJson(b, structuredClone(b)), []);
  // keys that exist on Object.prototype are ordinary keys here
  assert.deepEqual(diffJson({}, { constructor: 'x' }), [{ op: 'add', path: '/constructor', value: 'x' }]);
});

test('diff then apply gives the target for any JSON pair', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), (x, y) => {
      const a = { v: x };
      const b = { v: y };
      assert.deepEqual(JSON.parse(JSON.stringify(applyPatch(a, diffJson(a, b)))), JSON.parse(JSON.stringify(b)));
    }),
    { numRuns: 300 },
  );
});
