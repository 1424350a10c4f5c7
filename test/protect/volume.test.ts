import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GENESIS_HASH, memoryVersionAuthority } from '../../src/protect/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { committedVolume, freshDir, KEY, manifestNames, objectNames, open, VOLUME_ID } from './fixtures.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

test('a new volume starts at version 0 and commits version 1, recorded by the authority', async () => {
  const dir = freshDir();
  const versions = memoryVersionAuthority();
  const v = await open(dir, versions);
  assert.deepEqual(v.state(), { version: 0, hash: GENESIS_HASH });
  assert.deepEqual(v.list(), []);
  await v.writeFile('notes/today.txt', 'hello');
  assert.equal(text(await v.readFile('notes/today.txt')), 'hello', 'reads see uncommitted writes');
  const s = await v.commit();
  assert.equal(s.version, 1);
  assert.match(s.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(await versions.get(VOLUME_ID), s);
  assert.deepEqual(await v.commit(), s, 'commit without changes adds no version');
});

test('files survive reopening; updates and removals become the next version', async () => {
  const { dir, versions, volume } = await committedVolume();
  const again = await open(dir, versions);
  assert.equal(again.recovered, false);
  assert.deepEqual(again.list(), ['a.txt', 'sub/b.bin']);
  assert.deepEqual(await again.readFile('sub/b.bin'), new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  await again.writeFile('a.txt', 'alpha 2');
  await again.remove('sub/b.bin');
  const s = await again.commit();
  assert.equal(s.version, 2);
  const third = await open(dir, versions);
  assert.deepEqual(third.list(), ['a.txt']);
  assert.equal(text(await third.readFile('a.txt')), 'alpha 2');
  assert.deepEqual(third.state(), s);
  // the stale handle still reads what it committed; its next commit loses the race
  await volume.writeFile('late.txt', 'x');
  await assertRejectsCode(() => volume.commit(), 'VOLUME_CONCURRENT_COMMIT');
});

test('superseded objects and manifests are removed; only the current state stays on disk', async () => {
  const { dir, versions } = await committedVolume();
  const v = await open(dir, versions);
  await v.writeFile('a.txt', 'one');
  await v.writeFile('a.txt', 'two'); // the uncommitted 'one' is dropped at once
  assert.equal(objectNames(dir).length, 3);
  await v.commit();
  assert.deepEqual(manifestNames(dir), ['manifest.2']);
  assert.equal(objectNames(dir).length, 2);
});

test('names and contents are hidden on disk; files are owner-only', async () => {
  const dir = freshDir();
  const v = await open(dir, memoryVersionAuthority());
  const secret = 'TOP-SECRET-CONTENT';
  await v.writeFile('customers/secret-name.csv', secret);
  await v.commit();
  const all = [...manifestNames(dir).map((n) => join(dir, n)), ...objectNames(dir).map((n) => join(dir, 'objects', n))];
  for (const p of all) {
    const raw = readFileSync(p).toString('latin1');
    assert.ok(!raw.includes(secret) && !raw.includes('secret-name') && !raw.includes('customers'), p);
    assert.equal(statSync(p).mode & 0o077, 0, `${p} is owner-only`);
  }
  for (const n of objectNames(dir)) assert.match(n, /^[0-9a-f]{32}$/);
  assert.deepEqual(readdirSync(dir).sort(), ['manifest.1', 'objects']);
});

test('missing paths, bad paths and read-only handles are typed errors', async () => {
  const { dir, versions } = await committedVolume();
  const v = await open(dir, versions);
  await assertRejectsCode(() => v.readFile('nope'), 'VOLUME_FILE_NOT_FOUND');
  await assertRejectsCode(() => v.remove('nope'), 'VOLUME_FILE_NOT_FOUND');
  await assertRejectsCode(() => v.writeFile('../escape', 'x'), 'VOLUME_PATH_INVALID');
  const ro = await open(dir, versions, { readOnly: true });
  assert.equal(text(await ro.readFile('a.txt')), 'alpha');
  await assertRejectsCode(() => ro.writeFile('a.txt', 'x'), 'VOLUME_READ_ONLY');
  await assertRejectsCode(() => ro.commit(), 'VOLUME_READ_ONLY');
  await assertRejectsCode(() => open(dir, versions, { key: new Uint8Array(16) }), 'VOLUME_KEY_INVALID');
  await assertRejectsCode(() => open(dir, versions, { volumeId: '../x' }), 'VOLUME_ID_INVALID');
});

test('the caller may wipe its key buffer after open', async () => {
  const { dir, versions } = await committedVolume();
  const key = KEY.slice();
  const v = await open(dir, versions, { key });
  key.fill(0);
  assert.equal(text(await v.readFile('a.txt')), 'alpha');
});

test('model check: random writes, removals, commits and reopens behave like a map', async () => {
  const { default: fc } = await import('fast-check');
  const path = fc.constantFrom('a', 'b/c', 'd/e/f');
  const op = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), path, data: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('remove' as const), path }),
    fc.record({ kind: fc.constant('commit' as const) }),
    fc.record({ kind: fc.constant('reopen' as const) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
      const dir = freshDir();
      const versions = memoryVersionAuthority();
      let v = await open(dir, versions);
      let working = new Map<string, Uint8Array>();
      let committed = new Map<string, Uint8Array>();
      let version = 0;
      for (const o of ops) {
        if (o.kind === 'write') {
          await v.writeFile(o.path, o.data);
          working.set(o.path, o.data);
        } else if (o.kind === 'remove') {
          if (working.has(o.path)) {
            await v.remove(o.path);
            working.delete(o.path);
          } else await assertRejectsCode(() => v.remove(o.path), 'VOLUME_FILE_NOT_FOUND');
        } else if (o.kind === 'commit') {
          const changed = (await v.commit()).version !== version;
          if (changed) version++;
          committed = new Map(working);
        } else {
          v = await open(dir, versions); // uncommitted changes are lost
          working = new Map(committed);
        }
        assert.deepEqual(v.list(), [...working.keys()].sort());
        assert.equal(v.state().version, version);
      }
      for (const [p, data] of working) assert.deepEqual(await v.readFile(p), data);
    }),
    { numRuns: 25 },
  );
});
