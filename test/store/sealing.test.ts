import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  openDataKey,
  SEALED_DATA_KEY_FILE,
  SEALING_SECRET_FILE,
  sealDataKey,
  simulatedSealingKey,
  unsealDataKey,
  type SealingKeyProvider,
} from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { seededRandom, tempDir } from './fixtures.js';

const DATA_KEY = new Uint8Array(32).fill(7);

test('simulated sealing key: HKDF of the per-host secret with label cloister/sealing/v1 (pinned)', async (t) => {
  const platform = await tempDir(t, 'platform');
  await writeFile(join(platform, SEALING_SECRET_FILE), new Uint8Array(32).fill(1));
  const key = await simulatedSealingKey(platform).sealingKey();
  // Crypto-determinism regression value, computed independently with Python's hmac (RFC 5869
  // extract+expand, salt = 32 zero bytes = HKDF's empty-salt default). DO NOT CHANGE.
  assert.equal(Buffer.from(key).toString('hex'), PINNED_SIM_KEY);
});
const PINNED_SIM_KEY = '04e9d938a07d885a56f61ffea441a14cccf4da55b3fbe15f7941a2bb7a130293';

test('simulated secret is created once (0600) and reused by later providers', async (t) => {
  const platform = join(await tempDir(t, 'platform'), 'nested');
  const k1 = await simulatedSealingKey(platform, { random: seededRandom('a') }).sealingKey();
  const k2 = await simulatedSealingKey(platform, { random: seededRandom('b') }).sealingKey();
  assert.deepEqual(k1, k2);
  assert.equal((await stat(join(platform, SEALING_SECRET_FILE))).mode & 0o777, 0o600);
});

test('a sealing secret of the wrong size is SEALING_SECRET_INVALID', async (t) => {
  const platform = await tempDir(t, 'platform');
  await writeFile(join(platform, SEALING_SECRET_FILE), new Uint8Array(31));
  await assertRejectsCode(() => simulatedSealingKey(platform).sealingKey(), 'SEALING_SECRET_INVALID');
});

test('seal/unseal round-trip; every failure is a sealed-unavailable result, never a throw', async (t) => {
  const host1 = simulatedSealingKey(await tempDir(t, 'h1'), { random: seededRandom('h1') });
  const host2 = simulatedSealingKey(await tempDir(t, 'h2'), { random: seededRandom('h2') });
  const sealed = await sealDataKey(host1, DATA_KEY, seededRandom('n'));
  assert.deepEqual(await unsealDataKey(host1, sealed), { state: 'unsealed', dataKey: DATA_KEY });
  assert.equal(Buffer.from(sealed).includes(Buffer.from(DATA_KEY)), false);

  const other = await unsealDataKey(host2, sealed);
  assert.equal(other.state === 'sealed-unavailable' && other.why, 'wrong-sealing-key');

  const renamed: SealingKeyProvider = { kind: 'sgx-mrenclave', sealingKey: () => host1.sealingKey() };
  const r2 = await unsealDataKey(renamed, sealed);
  assert.equal(r2.state === 'sealed-unavailable' && r2.why, 'other-provider');

  const failing: SealingKeyProvider = { kind: 'simulated', sealingKey: () => Promise.reject(new Error('device gone')) };
  const r3 = await unsealDataKey(failing, sealed);
  assert.equal(r3.state === 'sealed-unavailable' && r3.why, 'provider-failed');

  for (let i = 0; i < sealed.length; i++) {
    const bad = new Uint8Array(sealed);
    bad[i]! ^= 0x04;
    const r = await unsealDataKey(host1, bad);
    assert.equal(r.state, 'sealed-unavailable', `flip at ${i}`);
  }
  const short = await unsealDataKey(host1, sealed.subarray(0, 10));
  assert.equal(short.state === 'sealed-unavailable' && short.why, 'malformed');
  assert.equal((await unsealDataKey(host1, new Uint8Array(0))).state, 'sealed-unavailable');
});

test('openDataKey creates once, reopens the same key, and never overwrites an unopenable sealed key', async (t) => {
  const dir = await tempDir(t, 'state');
  const platform = simulatedSealingKey(await tempDir(t, 'p1'), { random: seededRandom('p1') });
  const first = await openDataKey({ dir, provider: platform, random: seededRandom('dk') });
  assert.equal(first.state === 'unsealed' && first.created, true);
  const second = await openDataKey({ dir, provider: platform, random: seededRandom('dk2') });
  assert.ok(second.state === 'unsealed' && !second.created);
  assert.deepEqual(second.dataKey, first.state === 'unsealed' ? first.dataKey : undefined);

  const before = await readFile(join(dir, SEALED_DATA_KEY_FILE));
  const elsewhere = simulatedSealingKey(await tempDir(t, 'p2'), { random: seededRandom('p2') });
  const moved = await openDataKey({ dir, provider: elsewhere, random: seededRandom('dk3') });
  assert.deepEqual({ state: moved.state, why: moved.state === 'sealed-unavailable' ? moved.why : undefined }, { state: 'sealed-unavailable', why: 'wrong-sealing-key' });
  assert.deepEqual(await readFile(join(dir, SEALED_DATA_KEY_FILE)), before);
});

test('sealing refuses a data key of the wrong size', async (t) => {
  const p = simulatedSealingKey(await tempDir(t, 'p'), { random: seededRandom('p') });
  await assertRejectsCode(() => sealDataKey(p, new Uint8Array(31), seededRandom('n')), 'DATA_KEY_INVALID');
});
