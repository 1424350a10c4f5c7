import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileVersionAuthority, memoryVersionAuthority, VERSIONS_FORMAT, type VersionAuthority } from '../../src/protect/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { freshDir } from './fixtures.js';

const H = (c: string): string => c.repeat(64);

async function compareAndSetRules(a: VersionAuthority): Promise<void> {
  assert.equal(await a.get('vol'), undefined);
  await assertRejectsCode(() => a.advance('vol', 1, { version: 2, hash: H('a') }), 'VOLUME_AUTHORITY_CONFLICT', 'expected 1 of an unknown volume');
  await a.advance('vol', 0, { version: 1, hash: H('a') });
  assert.deepEqual(await a.get('vol'), { version: 1, hash: H('a') });
  await assertRejectsCode(() => a.advance('vol', 0, { version: 1, hash: H('b') }), 'VOLUME_AUTHORITY_CONFLICT', 'stale expectation');
  await assertRejectsCode(() => a.advance('vol', 1, { version: 1, hash: H('b') }), 'VOLUME_AUTHORITY_CONFLICT', 'no increase');
  await assertRejectsCode(() => a.advance('vol', 1, { version: 2, hash: 'ABC' }), 'VOLUME_AUTHORITY_CONFLICT', 'bad hash');
  await assertRejectsCode(() => a.advance('../x', 0, { version: 1, hash: H('a') }), 'VOLUME_ID_INVALID');
  await a.advance('vol', 1, { version: 2, hash: H('b') });
  assert.deepEqual(await a.get('vol'), { version: 2, hash: H('b') });
  assert.equal(await a.get('other'), undefined);
  assert.equal(await a.get('__proto__'), undefined);
}

test('memory authority: compare-and-set on the version', async () => {
  await compareAndSetRules(memoryVersionAuthority());
});

test('file authority: same rules, persisted across instances', async () => {
  const path = `${freshDir()}.json`;
  await compareAndSetRules(fileVersionAuthority(path));
  assert.deepEqual(await fileVersionAuthority(path).get('vol'), { version: 2, hash: H('b') });
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).format, VERSIONS_FORMAT);
});

test('file authority: concurrent advances from one expectation, exactly one wins', async () => {
  const a = fileVersionAuthority(`${freshDir()}.json`);
  const results = await Promise.allSettled([1, 2, 3, 4].map((i) => a.advance('vol', 0, { version: 1, hash: H(String(i)) })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
});

test('file authority: a damaged state file is reported, not treated as empty', async () => {
  for (const content of ['{', '[]', JSON.stringify({ format: VERSIONS_FORMAT, volumes: { vol: { version: 0, hash: H('a') } } })]) {
    const path = `${freshDir()}.json`;
    writeFileSync(path, content);
    await assertRejectsCode(() => fileVersionAuthority(path).get('vol'), 'VOLUME_AUTHORITY_CORRUPT', content);
  }
});
