import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openFileStore, STATE_FILE_NAME } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { tempDir, text, utf8 } from './fixtures.js';

test('committed state survives close and reopen, revisions included', async (t) => {
  const dir = await tempDir(t, 'fs');
  const s = await openFileStore(dir);
  await s.commit({ compare: [], put: [{ key: 'a/1', value: utf8('one') }, { key: 'a/2', value: new Uint8Array([0, 255]) }], delete: [] });
  await s.commit({ compare: [], put: [{ key: 'b', value: new Uint8Array(0) }], delete: ['a/1'] });
  await s.close();
  const again = await openFileStore(dir);
  assert.equal(again.revision, 2n);
  assert.deepEqual(await again.list(''), [
    { key: 'a/2', value: new Uint8Array([0, 255]), revision: 1n },
    { key: 'b', value: new Uint8Array(0), revision: 2n },
  ]);
  await again.close();
});

test('a second open of a locked directory is refused; close releases the lock', async (t) => {
  const dir = await tempDir(t, 'fs');
  const s = await openFileStore(dir);
  await assertRejectsCode(() => openFileStore(dir), 'STORE_LOCKED');
  await s.close();
  const again = await openFileStore(dir);
  await again.close();
});

test('a stale lock left by a dead process is taken over', async (t) => {
  const dir = await tempDir(t, 'fs');
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  await writeFile(join(dir, 'LOCK'), `${child.stdout.toString()}\n`);
  const s = await openFileStore(dir);
  assert.equal((await readFile(join(dir, 'LOCK'), 'utf8')).trim(), String(process.pid));
  await s.close();
});

test('leftover temp files are removed on open and never read as state', async (t) => {
  const dir = await tempDir(t, 'fs');
  const s = await openFileStore(dir);
  await s.commit({ compare: [], put: [{ key: 'k', value: utf8('committed') }], delete: [] });
  await s.close();
  await writeFile(join(dir, `${STATE_FILE_NAME}.tmp-999999-1`), 'half-written garbage');
  const again = await openFileStore(dir);
  assert.equal(text((await again.get('k'))?.value), 'committed');
  assert.deepEqual((await readdir(dir)).sort(), ['LOCK', STATE_FILE_NAME]);
  await again.close();
});

test('every flipped byte and every truncation of the state file is reported as STORE_CORRUPT', async (t) => {
  const dir = await tempDir(t, 'fs');
  const s = await openFileStore(dir);
  await s.commit({ compare: [], put: [{ key: 'k', value: utf8('v') }, { key: 'l/m', value: utf8('w') }], delete: [] });
  await s.close();
  const good = await readFile(join(dir, STATE_FILE_NAME));
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i]! ^= 0x01;
    await writeFile(join(dir, STATE_FILE_NAME), bad);
    await assertRejectsCode(() => openFileStore(dir), 'STORE_CORRUPT', `flip at ${i}`);
  }
  for (const len of [0, 1, 20, good.length - 33, good.length - 1]) {
    await writeFile(join(dir, STATE_FILE_NAME), good.subarray(0, len));
    await assertRejectsCode(() => openFileStore(dir), 'STORE_CORRUPT', `truncated to ${len}`);
  }
  // A failed open must not leave the directory locked.
  await writeFile(join(dir, STATE_FILE_NAME), good);
  const again = await openFileStore(dir);
  assert.equal(text((await again.get('l/m'))?.value), 'w');
  await again.close();
});

test('the state file holds exactly the committed bytes (no plaintext beyond what was put)', async (t) => {
  const dir = await tempDir(t, 'fs');
  const s = await openFileStore(dir);
  await s.commit({ compare: [], put: [{ key: 'k', value: utf8('needle') }], delete: [] });
  await s.commit({ compare: [], put: [], delete: ['k'] });
  await s.close();
  assert.equal((await readFile(join(dir, STATE_FILE_NAME))).includes('needle'), false);
});
