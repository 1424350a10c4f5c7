import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openFileStore, STATE_FILE_NAME } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { tempDir, text, utf8 } from './fixtures.js';

/**
 * The file store's write-ahead log and group commit (src/store/state_log.ts, file_store.ts).
 * A crash is simulated by copying the directory of a store that is still open (its LOCK is
 * left behind; the copy's files are what a SIGKILL at that moment would leave on disk).
 */
const LOG = `${STATE_FILE_NAME}.log`;

async function crashCopy(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) if (name !== 'LOCK') await copyFile(join(from, name), join(to, name));
}

const put = (key: string, value: string) => ({ compare: [], put: [{ key, value: utf8(value) }], delete: [] });

test('commits live in the log until close, which folds them into the snapshot and removes the log', async (t) => {
  const dir = await tempDir(t, 'wal');
  const s = await openFileStore(dir);
  await s.commit(put('a', '1'));
  await s.commit({ compare: [], put: [{ key: 'b', value: utf8('2') }], delete: ['a'] });
  assert.ok((await readdir(dir)).includes(LOG));
  const crashed = join(await tempDir(t, 'wal-crash'), 'state');
  await crashCopy(dir, crashed);
  await s.close();
  assert.deepEqual(await readdir(dir), [STATE_FILE_NAME]); // LOCK goes with close
  // The copy taken before close has only the log: replay gives the same state.
  const again = await openFileStore(crashed);
  assert.equal(again.revision, 2n);
  assert.deepEqual((await again.list('')).map((e) => [e.key, text(e.value), e.revision]), [['b', '2', 2n]]);
  await again.close();
});

test('a torn or garbled log tail is cut off: the commits before it survive, later commits append cleanly', async (t) => {
  const dir = await tempDir(t, 'wal');
  const s = await openFileStore(dir);
  for (let i = 1; i <= 3; i++) await s.commit(put(`k${i}`, `v${i}`));
  const crashed = join(await tempDir(t, 'wal-crash'), 'state');
  await crashCopy(dir, crashed);
  await s.close();
  const log = await readFile(join(crashed, LOG));
  for (const damage of ['truncate', 'flip', 'zeros'] as const) {
    const bad = Buffer.from(log);
    const cut = damage === 'truncate' ? bad.subarray(0, bad.length - 5) : bad;
    if (damage === 'flip') bad[bad.length - 40]! ^= 0x01; // inside the last record
    const bytes = damage === 'zeros' ? Buffer.concat([bad, Buffer.alloc(300)]) : cut;
    await writeFile(join(crashed, LOG), bytes);
    const r = await openFileStore(crashed);
    const want = damage === 'zeros' ? 3n : 2n;
    assert.equal(r.revision, want, damage);
    assert.equal((await r.get('k3')) === undefined, damage !== 'zeros', damage);
    await r.commit(put('after', damage));
    await r.close();
    const reopened = await openFileStore(crashed);
    assert.equal(reopened.revision, want + 1n, damage);
    assert.equal(text((await reopened.get('after'))?.value), damage);
    await reopened.close();
    // back to the crashed directory (log only) for the next damage
    await rm(join(crashed, STATE_FILE_NAME), { force: true });
  }
});

test('a log that skips a revision is STORE_CORRUPT, not silently shortened', async (t) => {
  const dir = await tempDir(t, 'wal');
  const s = await openFileStore(dir);
  await s.commit(put('a', 'x'));
  const first = (await stat(join(dir, LOG))).size;
  await s.commit(put('b', 'y'));
  const crashed = join(await tempDir(t, 'wal-crash'), 'state');
  await crashCopy(dir, crashed);
  await s.close();
  const log = await readFile(join(crashed, LOG));
  await writeFile(join(crashed, LOG), log.subarray(first)); // revision 2 right after an empty snapshot
  await assertRejectsCode(() => openFileStore(crashed), 'STORE_CORRUPT');
});

test('concurrent commits are decided in call order and share durable writes', async (t) => {
  const dir = await tempDir(t, 'wal');
  const s = await openFileStore(dir);
  // 50 compare-and-swaps on one absent key: exactly the first wins, the rest see its revision.
  const cas = await Promise.all(Array.from({ length: 50 }, (_, i) => s.commit({ compare: [{ key: 'c', revision: 0n }], put: [{ key: 'c', value: utf8(String(i)) }], delete: [] })));
  assert.deepEqual(cas[0], { ok: true, revision: 1n });
  assert.ok(cas.slice(1).every((r) => !r.ok && r.conflictKey === 'c'));
  // 100 independent commits issued at once: revisions 2..101 in call order, all durable.
  const many = await Promise.all(Array.from({ length: 100 }, (_, i) => s.commit(put(`m/${i}`, String(i)))));
  assert.deepEqual(many.map((r) => (r.ok ? r.revision : -1n)), Array.from({ length: 100 }, (_, i) => BigInt(i + 2)));
  // A read right after commit() (before it is durable) already sees it.
  const pending = s.commit(put('seen', 'yes'));
  assert.equal(text((await s.get('seen'))?.value), 'yes');
  await pending;
  const crashed = join(await tempDir(t, 'wal-crash'), 'state');
  await crashCopy(dir, crashed);
  await s.close();
  const r = await openFileStore(crashed);
  assert.equal(r.revision, 102n);
  assert.equal(text((await r.get('c'))?.value), '0');
  assert.equal((await r.list('m/')).length, 100);
  await r.close();
});

test('a log that outgrows the snapshot is compacted into it while the store runs', async (t) => {
  const dir = await tempDir(t, 'wal');
  const s = await openFileStore(dir);
  const big = new Uint8Array(128 * 1024).fill(7);
  for (let i = 0; i < 12; i++) await s.commit({ compare: [], put: [{ key: 'blob', value: big }, { key: 'n', value: utf8(String(i)) }], delete: [] });
  const logSize = (await stat(join(dir, LOG))).size;
  assert.ok(logSize < 1024 * 1024, `log was compacted (size ${logSize})`);
  assert.ok((await stat(join(dir, STATE_FILE_NAME))).size > 128 * 1024, 'snapshot holds the blob');
  const crashed = join(await tempDir(t, 'wal-crash'), 'state');
  await crashCopy(dir, crashed);
  await s.close();
  const r = await openFileStore(crashed);
  assert.equal(r.revision, 12n);
  assert.equal(text((await r.get('n'))?.value), '11');
  assert.deepEqual((await r.get('blob'))?.value, big);
  await r.close();
});
