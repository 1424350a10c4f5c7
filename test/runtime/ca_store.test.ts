import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { coordinatorCaPath, loadCoordinatorRoot, saveCoordinatorRoot, writeFileAtomic } from '../../src/runtime/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { tempDir } from './support/fake_coordinator.js';

test('roots live under $CLOISTER_HOME/coordinators/<host>_<port>/root-ca.pem', () => {
  const env = { CLOISTER_HOME: '/h' };
  assert.equal(coordinatorCaPath('https://127.0.0.1:4433', env), '/h/coordinators/127.0.0.1_4433/root-ca.pem');
  assert.equal(coordinatorCaPath('https://Coord.Example/', env), '/h/coordinators/coord.example_443/root-ca.pem');
  assert.equal(coordinatorCaPath('https://[::1]:9/', env), '/h/coordinators/___1__9/root-ca.pem');
  assert.match(coordinatorCaPath('https://h:1', {}), /\.cloister\/coordinators\/h_1\/root-ca\.pem$/);
});

test('a saved root reads back, with mode 0600, replacing the previous one atomically', async () => {
  const env = { CLOISTER_HOME: tempDir('home') };
  assert.equal(await loadCoordinatorRoot('https://127.0.0.1:4433', env), undefined);
  const path = await saveCoordinatorRoot('https://127.0.0.1:4433', 'PEM-1', env);
  await saveCoordinatorRoot('https://127.0.0.1:4433', 'PEM-2', env);
  assert.equal(await loadCoordinatorRoot('https://127.0.0.1:4433', env), 'PEM-2');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(path, '..')), ['root-ca.pem']); // no temp files left
});

test('an unwritable store is CA_STORE_UNUSABLE', async () => {
  const home = tempDir('ro');
  const blocker = join(home, 'coordinators');
  writeFileSync(blocker, 'a file where a directory belongs');
  await assertRejectsCode(() => saveCoordinatorRoot('https://h:1', 'PEM', { CLOISTER_HOME: home }), 'CA_STORE_UNUSABLE');
  const dir = join(home, 'locked');
  mkdirSync(dir);
  chmodSync(dir, 0o500);
  if (process.getuid?.() !== 0) await assertRejectsCode(() => writeFileAtomic(join(dir, 'x.pem'), 'PEM'), 'CA_STORE_UNUSABLE');
});
