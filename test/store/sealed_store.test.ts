import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStore, createSealedStore } from '../../src/store/index.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { seededRandom, text, utf8 } from './fixtures.js';

const KEY_A = new Uint8Array(32).fill(0xa1);
const KEY_B = new Uint8Array(32).fill(0xb2);

function setup() {
  const inner = createMemoryStore();
  const sealed = createSealedStore(inner, { dataKey: KEY_A, random: seededRandom('sealed') });
  return { inner, sealed };
}

test('values round-trip and the inner store sees ciphertext only', async () => {
  const { inner, sealed } = setup();
  const r = await sealed.commit({ compare: [{ key: 'secrets/db', revision: 0n }], put: [{ key: 'secrets/db', value: utf8('hunter2-password') }], delete: [] });
  assert.deepEqual(r, { ok: true, revision: 1n });
  assert.deepEqual(await sealed.get('secrets/db'), { value: utf8('hunter2-password'), revision: 1n });
  const raw = (await inner.get('secrets/db'))!.value;
  assert.equal(Buffer.from(raw).includes('hunter2'), false);
  assert.equal(raw.byteLength, 1 + 8 + 12 + 16 + 16);
  assert.deepEqual((await sealed.list('secrets/')).map((e) => [e.key, text(e.value)]), [['secrets/db', 'hunter2-password']]);
});

test('two writes of one value use fresh nonces (different ciphertexts)', async () => {
  const { inner, sealed } = setup();
  await sealed.commit({ compare: [], put: [{ key: 'a', value: utf8('same') }, { key: 'b', value: utf8('same') }], delete: [] });
  const a = (await inner.get('a'))!.value;
  const b = (await inner.get('b'))!.value;
  assert.notDeepEqual(a.subarray(9, 21), b.subarray(9, 21));
});

test('every flipped byte of a sealed value is STATE_TAMPERED or, in the key id, STATE_UNSEALED_FAILED', async () => {
  const { inner, sealed } = setup();
  await sealed.commit({ compare: [], put: [{ key: 'k', value: utf8('value') }], delete: [] });
  const good = (await inner.get('k'))!.value;
  for (let i = 0; i < good.length; i++) {
    const bad = new Uint8Array(good);
    bad[i]! ^= 0x80;
    await inner.commit({ compare: [], put: [{ key: 'k', value: bad }], delete: [] });
    const want = i >= 1 && i < 9 ? 'STATE_UNSEALED_FAILED' : 'STATE_TAMPERED';
    await assertRejectsCode(() => sealed.get('k'), want, `flip at ${i}`);
  }
  for (const len of [0, 1, 20, 36, good.length - 1]) {
    await inner.commit({ compare: [], put: [{ key: 'k', value: good.subarray(0, len) }], delete: [] });
    await assertRejectsCode(() => sealed.get('k'), 'STATE_TAMPERED', `truncated to ${len}`);
  }
});

test('a value swapped to another key name is STATE_TAMPERED (get and list)', async () => {
  const { inner, sealed } = setup();
  await sealed.commit({ compare: [], put: [{ key: 'acl/admin', value: utf8('alice') }, { key: 'acl/guest', value: utf8('mallory') }], delete: [] });
  const guest = (await inner.get('acl/guest'))!.value;
  await inner.commit({ compare: [], put: [{ key: 'acl/admin', value: guest }], delete: [] });
  await assertRejectsCode(() => sealed.get('acl/admin'), 'STATE_TAMPERED');
  await assertRejectsCode(() => sealed.list('acl/'), 'STATE_TAMPERED');
});

test('opening with another data key is STATE_UNSEALED_FAILED', async () => {
  const { inner, sealed } = setup();
  await sealed.commit({ compare: [], put: [{ key: 'k', value: utf8('v') }], delete: [] });
  const other = createSealedStore(inner, { dataKey: KEY_B, random: seededRandom('other') });
  await assertRejectsCode(() => other.get('k'), 'STATE_UNSEALED_FAILED');
});

test('compare-and-swap passes through: conflicts are reported, not sealed', async () => {
  const { sealed } = setup();
  await sealed.commit({ compare: [], put: [{ key: 'k', value: utf8('v') }], delete: [] });
  assert.deepEqual(await sealed.commit({ compare: [{ key: 'k', revision: 0n }], put: [{ key: 'k', value: utf8('w') }], delete: [] }), { ok: false, conflictKey: 'k' });
  assert.deepEqual(await sealed.commit({ compare: [{ key: 'k', revision: 1n }], put: [], delete: ['k'] }), { ok: true, revision: 2n });
  assert.equal(await sealed.get('k'), undefined);
});

test('a data key of the wrong size is refused', () => {
  assertThrowsCode(() => createSealedStore(createMemoryStore(), { dataKey: new Uint8Array(16), random: seededRandom('x') }), 'DATA_KEY_INVALID');
});
