import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { fileVersionAuthority, memoryVersionAuthority, type VersionAuthority } from '../../src/protect/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { committedVolume, freshDir, KEY, manifestNames, objectNames, open, restore, snapshot, VOLUME_ID } from './fixtures.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** An authority that fails to record (the process "dies" between manifest and authority). */
function failingAdvance(real: VersionAuthority): VersionAuthority {
  return { get: (id) => real.get(id), advance: async () => Promise.reject(new Error('connection reset')) };
}

test('crash after the manifest is durable: the handle stops, reopening rolls forward', async () => {
  const { dir, versions } = await committedVolume();
  const v = await open(dir, failingAdvance(versions));
  await v.writeFile('a.txt', 'v2');
  await assertRejectsCode(() => v.commit(), 'VOLUME_COMMIT_INCOMPLETE');
  await assertRejectsCode(() => v.readFile('a.txt'), 'VOLUME_COMMIT_INCOMPLETE', 'the handle is unusable afterwards');
  assert.equal((await versions.get(VOLUME_ID))?.version, 1);
  assert.deepEqual(manifestNames(dir), ['manifest.1', 'manifest.2']);

  const ro = await open(dir, versions, { readOnly: true });
  assert.equal(ro.recovered, true);
  assert.equal((await versions.get(VOLUME_ID))?.version, 1, 'read-only open records nothing');
  assert.deepEqual(manifestNames(dir), ['manifest.1', 'manifest.2'], 'read-only open removes nothing');

  const again = await open(dir, versions);
  assert.equal(again.recovered, true);
  assert.deepEqual(again.state(), await versions.get(VOLUME_ID));
  assert.equal(again.state().version, 2);
  assert.equal(text(await again.readFile('a.txt')), 'v2');
  assert.deepEqual(manifestNames(dir), ['manifest.2']);
  assert.equal(objectNames(dir).length, 2);
});

test('crash during the very first commit: the authority has no record, version 1 rolls forward', async () => {
  const dir = freshDir();
  const versions = memoryVersionAuthority();
  const v = await open(dir, failingAdvance(versions));
  await v.writeFile('first', '1');
  await assertRejectsCode(() => v.commit(), 'VOLUME_COMMIT_INCOMPLETE');
  assert.equal(await versions.get(VOLUME_ID), undefined);
  const again = await open(dir, versions);
  assert.equal(again.recovered, true);
  assert.equal((await versions.get(VOLUME_ID))?.version, 1);
});

test('crash before the manifest: the last committed state opens and stray objects are removed', async () => {
  const { dir, versions } = await committedVolume();
  const v = await open(dir, versions);
  await v.writeFile('a.txt', 'never committed');
  await v.writeFile('new.txt', 'never committed either');
  writeFileSync(join(dir, 'manifest.2.tmp-999-1'), 'half a manifest'); // what a crash inside the write leaves
  assert.equal(objectNames(dir).length, 4);
  const again = await open(dir, versions);
  assert.equal(again.recovered, false);
  assert.equal(text(await again.readFile('a.txt')), 'alpha');
  assert.deepEqual(again.list(), ['a.txt', 'sub/b.bin']);
  assert.equal(objectNames(dir).length, 2);
  assert.deepEqual(manifestNames(dir), ['manifest.1']);
});

test('an uncommitted version the operator hides is lost; replaying it later is a fork, the old copy a rollback', async () => {
  const { dir, versions } = await committedVolume();
  const before = snapshot(dir);
  const v = await open(dir, failingAdvance(versions));
  await v.writeFile('a.txt', 'v2');
  await assertRejectsCode(() => v.commit(), 'VOLUME_COMMIT_INCOMPLETE');
  const crashed = snapshot(dir);

  // the operator hides the uncommitted version 2: the workload continues from version 1 (that write was never acknowledged)
  restore(dir, before);
  const w = await open(dir, versions);
  await w.writeFile('a.txt', 'another v2');
  await w.commit();
  // ...and later replays the hidden version 2: it does not match what the authority recorded
  restore(dir, new Map([...crashed].filter(([n]) => n !== 'manifest.1')));
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_FORK_DETECTED');
  restore(dir, before);
  await assertRejectsCode(() => open(dir, versions), 'VOLUME_ROLLBACK_DETECTED');
});

test('a real SIGKILL between manifest and authority is recovered with the file authority', async () => {
  const dir = freshDir();
  const statePath = `${dir}.versions.json`;
  const versions = fileVersionAuthority(statePath);
  const v = await open(dir, versions);
  await v.writeFile('a.txt', 'version 1');
  await v.commit();

  const child = fileURLToPath(new URL('./crash_child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, dir, statePath, toHex(KEY), VOLUME_ID], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', `child should die by SIGKILL: ${r.stderr}`);
  assert.equal(JSON.parse(readFileSync(statePath, 'utf8')).volumes[VOLUME_ID].version, 1);
  assert.ok(existsSync(join(dir, 'manifest.2')));

  const again = await open(dir, fileVersionAuthority(statePath));
  assert.equal(again.recovered, true);
  assert.equal(text(await again.readFile('a.txt')), 'written just before the crash');
  assert.equal(JSON.parse(readFileSync(statePath, 'utf8')).volumes[VOLUME_ID].version, 2);
});
