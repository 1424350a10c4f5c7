import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkVolumeId, checkVolumePath } from '../../src/protect/index.js';
import { checkVolumeKey } from '../../src/protect/names.js';
import { assertThrowsCode } from '../support/assert_code.js';

test('valid paths and ids pass unchanged', () => {
  for (const p of ['a', 'a/b/c.txt', 'data/2024-01-01.log', 'ünïcode/名前', '.hidden', 'a..b']) assert.equal(checkVolumePath(p), p);
  for (const id of ['kv', 'demo/kv-data', 'ns:volume.1', '0']) assert.equal(checkVolumeId(id), id);
});

test('paths that could escape, collide or confuse are refused', () => {
  const bad = ['', '/abs', 'a//b', 'a/', './a', 'a/./b', '../x', 'a/../b', 'a\\b', 'nul\u0000', 'tab\t', 'del\u007f', 'x'.repeat(1025), 'lone\ud800'];
  for (const p of bad) assertThrowsCode(() => checkVolumePath(p), 'VOLUME_PATH_INVALID', JSON.stringify(p));
});

test('volume ids are short printable names', () => {
  for (const id of ['', '-x', '/x', 'a b', 'x'.repeat(129), '__proto__', 'é']) assertThrowsCode(() => checkVolumeId(id), 'VOLUME_ID_INVALID', JSON.stringify(id));
});

test('a volume key is exactly 32 bytes', () => {
  for (const n of [0, 16, 31, 33, 64]) assertThrowsCode(() => checkVolumeKey(new Uint8Array(n)), 'VOLUME_KEY_INVALID', `${n} bytes`);
  assertThrowsCode(() => checkVolumeKey('k'.repeat(32) as unknown as Uint8Array), 'VOLUME_KEY_INVALID', 'string');
});
