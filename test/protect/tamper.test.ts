import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryVersionAuthority } from '../../src/protect/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { committedVolume, freshDir, manifestNames, objectOfSize, open, OTHER_KEY, restore, snapshot, VOLUME_ID } from './fixtures.js';

/**
 * What an operator with full control of the volume directory can try, and the typed error
 * each attempt meets when the workload opens the volume (it refuses to start).
 */

test('restoring an older copy is a rollback', async () => {
  const { dir, versions } = await committedVolume();
  const old = snapshot(dir);
  const v = await open(dir, versions);
  await v.writeFile('a.txt', 'newer');
  await v.commit();
  restore(dir, old);
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_ROLLBACK_DETECTED');
  // the refused volume is left as found (no garbage collection before the check passes)
  assert.deepEqual([...snapshot(dir).keys()].sort(), [...old.keys()].sort());
});

test('an older manifest with current objects, or current manifest deleted, is refused', async () => {
  const { dir, versions } = await committedVolume();
  const oldManifest = readFileSync(join(dir, 'manifest.1'));
  const v = await open(dir, versions);
  await v.writeFile('a.txt', 'newer');
  await v.commit();
  rmSync(join(dir, 'manifest.2'));
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_MANIFEST_MISSING');
  writeFileSync(join(dir, 'manifest.1'), oldManifest);
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_ROLLBACK_DETECTED');
});

test('a diverged copy with the same version is a fork', async () => {
  const { versions } = await committedVolume(); // the authority records version 1 of this volume
  // another directory with the same key and id, committed independently to its own version 1
  const other = freshDir();
  const w = await open(other, memoryVersionAuthority());
  await w.writeFile('a.txt', 'forged');
  await w.commit();
  await assertRejectsCode(() => open(other, versions), 'VOLUME_FORK_DETECTED');
});

test('swapping two files, or moving one to another path, is tampering', async () => {
  const { dir, versions } = await committedVolume();
  const a = objectOfSize(dir, 5); // a.txt
  const b = objectOfSize(dir, 7); // sub/b.bin
  const aBytes = readFileSync(join(dir, 'objects', a));
  const bBytes = readFileSync(join(dir, 'objects', b));
  writeFileSync(join(dir, 'objects', a), bBytes);
  writeFileSync(join(dir, 'objects', b), aBytes);
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_TAMPERED', 'swap');
  // lazily verified handle: the read of the moved file fails
  const lazy = await open(dir, versions, { verifyFiles: false });
  await assertRejectsCode(() => lazy.readFile('a.txt'), 'VOLUME_TAMPERED', 'lazy swap');
});

test('a truncated, extended or bit-flipped file is tampering; a deleted one is missing', async () => {
  for (const damage of ['truncate', 'extend', 'flip-first', 'flip-last', 'flip-middle', 'delete'] as const) {
    const { dir, versions } = await committedVolume();
    const obj = join(dir, 'objects', objectOfSize(dir, 5));
    const bytes = readFileSync(obj);
    if (damage === 'truncate') truncateSync(obj, bytes.byteLength - 1);
    if (damage === 'extend') writeFileSync(obj, Buffer.concat([bytes, Buffer.from([0])]));
    if (damage.startsWith('flip')) {
      const i = damage === 'flip-first' ? 0 : damage === 'flip-last' ? bytes.byteLength - 1 : 20;
      bytes[i]! ^= 0x01;
      writeFileSync(obj, bytes);
    }
    if (damage === 'delete') rmSync(obj);
    const want = damage === 'delete' ? 'VOLUME_FILE_MISSING' : 'VOLUME_TAMPERED';
    await assertRejectsCode(() => open(dir, versions), want, damage);
    // the same damage after open (verifyFiles false, or done while running) fails the read
    const lazy = await open(dir, versions, { verifyFiles: false });
    await assertRejectsCode(() => lazy.readFile('a.txt'), want, `${damage} (read)`);
    assert.deepEqual(await lazy.readFile('sub/b.bin'), new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 'other files still read');
  }
});

test('every single-bit change of the manifest is refused', async () => {
  const { dir, versions } = await committedVolume();
  const path = join(dir, 'manifest.1');
  const good = readFileSync(path);
  for (let i = 0; i < good.byteLength; i++) {
    const bad = Buffer.from(good);
    bad[i]! ^= 0x01;
    writeFileSync(path, bad);
    // header bytes name the volume id and key id; the rest fails the GCM tag
    await assertRejectsCode(() => open(dir, versions), ['VOLUME_TAMPERED', 'VOLUME_ID_MISMATCH', 'VOLUME_KEY_WRONG'], `byte ${i}`);
  }
  writeFileSync(path, good.subarray(0, good.byteLength - 1));
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_TAMPERED', 'truncated manifest');
  writeFileSync(path, good);
  await open(dir, versions); // and the original still opens
});

test('a manifest renamed to another version, or planted from nowhere, is refused', async () => {
  const { dir, versions } = await committedVolume();
  renameSync(join(dir, 'manifest.1'), join(dir, 'manifest.2'));
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_TAMPERED', 'renamed');
  renameSync(join(dir, 'manifest.2'), join(dir, 'manifest.1'));
  writeFileSync(join(dir, 'manifest.9'), 'not a manifest');
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_TAMPERED', 'planted');
});

test('the wrong key and the wrong volume id are named as such', async () => {
  const { dir, versions } = await committedVolume();
  await assertRejectsCode(() => open(dir, versions, { key: OTHER_KEY }), 'VOLUME_KEY_WRONG');
  await assertRejectsCode(() => open(dir, versions, { volumeId: `${VOLUME_ID}-other` }), 'VOLUME_ID_MISMATCH');
  assert.deepEqual(manifestNames(dir), ['manifest.1']);
});
