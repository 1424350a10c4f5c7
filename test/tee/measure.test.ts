import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { measurePath, measurePathDetailed } from '../../src/tee/index.js';
import { assertRejectsCode } from '../support/assert_code.js';

const base = mkdtempSync(join(tmpdir(), 'cloister-measure-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A fixed tree: files with set modes, a nested dir, a symlink, an empty dir. */
function makeTree(order: 'forward' | 'reverse' = 'forward'): string {
  const root = join(base, `tree${n++}`);
  const files: Array<[string, string, number]> = [
    ['bin/app', '#!/bin/sh\necho hi\n', 0o755],
    ['lib/util.js', 'export const x = 1;\n', 0o644],
    ['lib/deep/data.bin', '\u0000\u0001\u0002', 0o600],
    ['README', 'demo\n', 0o644],
  ];
  for (const [p, content, mode] of order === 'forward' ? files : [...files].reverse()) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), content);
    chmodSync(join(root, p), mode);
  }
  symlinkSync('util.js', join(root, 'lib', 'current.js'));
  mkdirSync(join(root, 'empty'));
  return root;
}

// Regression pin for the measurement scheme cloister/measure/v1 (docs/simulated-tee.md).
// DO NOT CHANGE: manifests carry these values; a different value means the scheme changed.
// (Cross-checked when written against an independent Python implementation of the documented scheme.)
const GOLDEN_TREE = '4bd991b05b1fc702c588113be71d0ab21dfaeeb47cd09d6b9cac5f95f09479b73a7a4426f553e9685f0f295bc422df48';

test('golden: the measurement of a fixed tree', async () => {
  const m = await measurePathDetailed(makeTree());
  assert.equal(m.files, 4);
  assert.equal(m.links, 1);
  assert.equal(m.bytes, 18 + 20 + 3 + 5);
  assert.equal(m.measurement, GOLDEN_TREE);
});

test('a single file is a one-entry list with the empty path (independent computation)', async () => {
  const f = join(base, 'single.bin');
  writeFileSync(f, 'hello');
  chmodSync(f, 0o755);
  const u32 = (x: number) => Buffer.from([x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
  const want = createHash('sha384')
    .update(Buffer.concat([Buffer.from('cloister/measure/v1\0'), u32(1), Buffer.from('f'), u32(0), Buffer.from([1]), u32(48), createHash('sha384').update('hello').digest()]))
    .digest('hex');
  assert.equal(await measurePath(f), want);
  // the file's name does not count
  const g = join(base, 'renamed.bin');
  renameSync(f, g);
  assert.equal(await measurePath(g), want);
  // its exec bit does
  chmodSync(g, 0o644);
  assert.notEqual(await measurePath(g), want);
});

test('independent of creation order and of the directory name', async () => {
  const a = makeTree('forward');
  const b = makeTree('reverse');
  assert.equal(await measurePath(a), await measurePath(b));
  const moved = join(base, 'other-name');
  renameSync(b, moved);
  assert.equal(await measurePath(a), await measurePath(moved));
});

test('sensitive to content, renames, exec bits, link targets and added files', async () => {
  const root = makeTree();
  const ref = await measurePath(root);
  const changes: Array<[string, () => void, () => void]> = [
    ['content', () => writeFileSync(join(root, 'README'), 'demo!\n'), () => writeFileSync(join(root, 'README'), 'demo\n')],
    ['rename', () => renameSync(join(root, 'README'), join(root, 'README.md')), () => renameSync(join(root, 'README.md'), join(root, 'README'))],
    ['move between dirs', () => renameSync(join(root, 'lib/util.js'), join(root, 'bin/util.js')), () => renameSync(join(root, 'bin/util.js'), join(root, 'lib/util.js'))],
    ['exec bit', () => chmodSync(join(root, 'bin/app'), 0o644), () => chmodSync(join(root, 'bin/app'), 0o755)],
    [
      'link target',
      () => (rmSync(join(root, 'lib/current.js')), symlinkSync('deep/data.bin', join(root, 'lib/current.js'))),
      () => (rmSync(join(root, 'lib/current.js')), symlinkSync('util.js', join(root, 'lib/current.js'))),
    ],
    ['link replaced by a copy', () => (rmSync(join(root, 'lib/current.js')), writeFileSync(join(root, 'lib/current.js'), 'export const x = 1;\n')), () => (rmSync(join(root, 'lib/current.js')), symlinkSync('util.js', join(root, 'lib/current.js')))],
    ['added file', () => writeFileSync(join(root, 'empty/new'), ''), () => rmSync(join(root, 'empty/new'))],
  ];
  for (const [what, change, undo] of changes) {
    change();
    assert.notEqual(await measurePath(root), ref, what);
    undo();
    assert.equal(await measurePath(root), ref, `${what} undone`);
  }
  // non-exec mode bits do not count, nor do empty directories
  chmodSync(join(root, 'README'), 0o600);
  mkdirSync(join(root, 'another-empty'));
  assert.equal(await measurePath(root), ref);
});

test('file names are measured as raw bytes (non-UTF-8 names differ)', async () => {
  const root = join(base, `bytes${n++}`);
  mkdirSync(root);
  writeFileSync(Buffer.from(`${root}/\xe9`, 'latin1'), 'x');
  const m1 = await measurePath(root);
  rmSync(Buffer.from(`${root}/\xe9`, 'latin1'));
  writeFileSync(join(root, '\ufffd'), 'x');
  assert.notEqual(await measurePath(root), m1);
});

test('missing paths and special files are refused', async () => {
  await assertRejectsCode(() => measurePath(join(base, 'does-not-exist')), 'MEASURE_PATH_UNREADABLE');
  const root = join(base, `fifo${n++}`);
  mkdirSync(root);
  execFileSync('mkfifo', [join(root, 'pipe')]);
  await assertRejectsCode(() => measurePath(root), 'MEASURE_FILE_UNSUPPORTED');
  await assertRejectsCode(() => measurePath(join(root, 'pipe')), 'MEASURE_FILE_UNSUPPORTED');
});

test('unreadable files are refused', { skip: process.getuid?.() === 0 ? 'root reads everything' : false }, async () => {
  const root = join(base, `unreadable${n++}`);
  mkdirSync(root);
  writeFileSync(join(root, 'secret'), 'x');
  chmodSync(join(root, 'secret'), 0o000);
  await assertRejectsCode(() => measurePath(root), 'MEASURE_PATH_UNREADABLE');
});

test('progress is reported per file', async () => {
  const seen: number[] = [];
  await measurePath(makeTree(), { onProgress: (p) => seen.push(p.files) });
  assert.deepEqual(seen, [1, 2, 3, 4]);
});
