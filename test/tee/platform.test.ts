import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  PLATFORM_KEY_FILE,
  loadOrCreatePlatform,
  loadPlatform,
  platformPublicKeyPem,
  resolvePlatformDir,
} from '../../src/tee/index.js';
import { assertRejectsCode } from '../support/assert_code.js';

const base = mkdtempSync(join(tmpdir(), 'cloister-platform-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(base, `p${n++}`, 'nested');

test('creates a P-384 key once, mode 0600, and loads the same key again', async () => {
  const dir = fresh();
  const a = await loadOrCreatePlatform(dir);
  assert.equal(a.privateKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  assert.equal(statSync(join(dir, PLATFORM_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const b = await loadOrCreatePlatform(dir);
  assert.equal(b.fingerprint, a.fingerprint);
  assert.equal((await loadPlatform(dir)).fingerprint, a.fingerprint);
  assert.match(platformPublicKeyPem(a), /^-----BEGIN PUBLIC KEY-----/);
  assert.deepEqual(readdirSync(dir), [PLATFORM_KEY_FILE]); // no temp files left behind
});

test('concurrent first use agrees on one key (race-safe creation)', async () => {
  const dir = fresh();
  const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreatePlatform(dir)));
  assert.equal(new Set(all.map((p) => p.fingerprint)).size, 1);
  assert.deepEqual(readdirSync(dir), [PLATFORM_KEY_FILE]);
});

test('refuses a key readable by others, a non-P-384 key and garbage', async () => {
  const dir = fresh();
  await loadOrCreatePlatform(dir);
  chmodSync(join(dir, PLATFORM_KEY_FILE), 0o644);
  await assertRejectsCode(() => loadOrCreatePlatform(dir), 'SIM_PLATFORM_KEY_INSECURE');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  writeFileSync(join(dir, PLATFORM_KEY_FILE), p256, { mode: 0o600 });
  chmodSync(join(dir, PLATFORM_KEY_FILE), 0o600);
  await assertRejectsCode(() => loadOrCreatePlatform(dir), 'SIM_PLATFORM_KEY_INVALID');
  writeFileSync(join(dir, PLATFORM_KEY_FILE), 'not a key');
  await assertRejectsCode(() => loadPlatform(dir), 'SIM_PLATFORM_KEY_INVALID');
});

test('loadPlatform does not create; an unusable directory is reported', async () => {
  await assertRejectsCode(() => loadPlatform(fresh()), 'SIM_PLATFORM_DIR_UNUSABLE');
  const file = join(base, `file${n++}`);
  writeFileSync(file, '');
  await assertRejectsCode(() => loadOrCreatePlatform(join(file, 'sub')), 'SIM_PLATFORM_DIR_UNUSABLE');
});

test('directory resolution: explicit, then CLOISTER_SIM_PLATFORM_DIR, then ~/.cloister/sim-platform', () => {
  assert.equal(resolvePlatformDir('/x', { CLOISTER_SIM_PLATFORM_DIR: '/y' }), '/x');
  assert.equal(resolvePlatformDir(undefined, { CLOISTER_SIM_PLATFORM_DIR: '/y' }), '/y');
  assert.match(resolvePlatformDir(undefined, {}), /[/\\]\.cloister[/\\]sim-platform$/);
  assert.match(resolvePlatformDir('', { CLOISTER_SIM_PLATFORM_DIR: '' }), /sim-platform$/);
});
