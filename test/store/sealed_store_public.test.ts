import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMemoryStore, createSealedStore, openDataKey, PUBLIC_PREFIX, resealDataKey, SEALED_DATA_KEY_FILE, simulatedSealingKey, unsealDataKey } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { seededRandom, tempDir, text, utf8 } from './fixtures.js';

const KEY_A = new Uint8Array(32).fill(0xa1);
const KEY_B = new Uint8Array(32).fill(0xb2);

test('public/ values are plaintext in the inner store; other values stay sealed; list("") returns both', async () => {
  const inner = createMemoryStore();
  const sealed = createSealedStore(inner, { dataKey: KEY_A, random: seededRandom('public') });
  assert.equal(PUBLIC_PREFIX, 'public/');
  await sealed.commit({ compare: [], put: [{ key: 'public/recovery/info', value: utf8('{"public":1}') }, { key: 'secrets/db', value: utf8('hunter2-password') }], delete: [] });
  assert.equal(text((await inner.get('public/recovery/info'))!.value), '{"public":1}');
  assert.equal(Buffer.from((await inner.get('secrets/db'))!.value).includes('hunter2'), false);
  assert.deepEqual(
    (await sealed.list('')).map((e) => [e.key, text(e.value)]),
    [['public/recovery/info', '{"public":1}'], ['secrets/db', 'hunter2-password']],
  );
  assert.equal(text((await sealed.get('public/recovery/info'))!.value), '{"public":1}');
  // a public key is readable under any data key; a sealed one is not
  const other = createSealedStore(inner, { dataKey: KEY_B, random: seededRandom('other') });
  assert.equal(text((await other.get('public/recovery/info'))!.value), '{"public":1}');
  await assertRejectsCode(() => other.get('secrets/db'), 'STATE_UNSEALED_FAILED');
  await assertRejectsCode(() => other.list(''), 'STATE_UNSEALED_FAILED');
});

test('only the exact public/ prefix is exempt: publicity/ and a nested public/ segment stay sealed', async () => {
  const inner = createMemoryStore();
  const sealed = createSealedStore(inner, { dataKey: KEY_A, random: seededRandom('prefix') });
  await sealed.commit({ compare: [], put: [{ key: 'publicity/x', value: utf8('plain?') }, { key: 'a/public/x', value: utf8('plain?') }], delete: [] });
  for (const k of ['publicity/x', 'a/public/x']) assert.notEqual(text((await inner.get(k))!.value), 'plain?', k);
});

test('resealDataKey replaces sealed-data-key under the current provider and keeps the old blob', async (t) => {
  const dir = await tempDir(t, 'reseal');
  const random = seededRandom('reseal');
  const oldProvider = simulatedSealingKey(join(dir, 'old-platform'), { random });
  const first = await openDataKey({ dir, provider: oldProvider, random });
  assert.equal(first.state, 'unsealed');
  const dataKey = first.state === 'unsealed' ? first.dataKey : new Uint8Array(0);
  const oldBlob = await readFile(join(dir, SEALED_DATA_KEY_FILE));

  const newProvider = simulatedSealingKey(join(dir, 'new-platform'), { random });
  assert.equal((await openDataKey({ dir, provider: newProvider, random })).state, 'sealed-unavailable');
  const now = new Date('2026-11-23T12:34:56.789Z');
  const kept = await resealDataKey({ dir, provider: newProvider, dataKey, random, now });
  assert.equal(kept, `${SEALED_DATA_KEY_FILE}.replaced-2026-11-23T12-34-56-789Z`);
  assert.deepEqual(await readFile(join(dir, kept)), oldBlob);
  const reopened = await openDataKey({ dir, provider: newProvider, random });
  assert.deepEqual(reopened, { state: 'unsealed', dataKey, created: false });
  // the kept blob still opens under the old platform
  assert.equal((await unsealDataKey(oldProvider, new Uint8Array(oldBlob))).state, 'unsealed');

  // a second reseal in the same millisecond keeps the blob it replaces under a numbered name
  const kept2 = await resealDataKey({ dir, provider: newProvider, dataKey, random, now });
  assert.equal(kept2, `${kept}-1`);
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(SEALED_DATA_KEY_FILE)).sort(), [SEALED_DATA_KEY_FILE, kept, kept2]);
});

test('resealDataKey with no previous blob writes one and keeps nothing; a bad key is DATA_KEY_INVALID and writes nothing', async (t) => {
  const dir = await tempDir(t, 'reseal-fresh');
  const random = seededRandom('fresh');
  const provider = simulatedSealingKey(join(dir, 'platform'), { random });
  assert.equal(await resealDataKey({ dir, provider, dataKey: KEY_A, random, now: new Date(0) }), undefined);
  assert.deepEqual(await openDataKey({ dir, provider, random }), { state: 'unsealed', dataKey: KEY_A, created: false });
  const before = await readFile(join(dir, SEALED_DATA_KEY_FILE));
  await assertRejectsCode(() => resealDataKey({ dir, provider, dataKey: new Uint8Array(16), random, now: new Date(1) }), 'DATA_KEY_INVALID');
  assert.deepEqual(await readFile(join(dir, SEALED_DATA_KEY_FILE)), before);
});
