import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../src/coordinator/index.js';
import { SEALING_SECRET_FILE } from '../../src/store/sealing.js';
import { tempDir } from '../runtime/support/fake_coordinator.js';
import { runCli } from '../support/cli_run.js';

/**
 * `cloister recover --key` end to end: a coordinator whose manifest names recovery keys loses its
 * sealing key (new host), starts in recovery, and two of three holders bring it back with the
 * real command line; a wrong key and a repeated share are refused with clear codes.
 */
const quiet = pino({ level: 'silent' });
const dir = tempDir('recover-e2e');
let coord: RunningCoordinator | undefined;
after(async () => {
  await coord?.close();
  await rm(dir, { recursive: true, force: true });
});

test('two of three recovery-key holders recover the coordinator with `cloister recover`', async () => {
  const platformDir = join(dir, 'platform');
  const holders = {
    k1: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    k2: generateKeyPairSync('x25519'),
    k3: generateKeyPairSync('x25519'),
  };
  const files: Record<string, string> = {};
  for (const [n, k] of Object.entries(holders)) {
    files[n] = join(dir, `${n}.pem`);
    writeFileSync(files[n]!, k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  const stranger = join(dir, 'stranger.pem');
  writeFileSync(stranger, generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const manifest = {
    packages: { app: { simulated: { measurements: ['ab'.repeat(48)] } } },
    workloads: { api: { package: 'app' } },
    recovery: { threshold: 2, keys: Object.fromEntries(Object.entries(holders).map(([n, k]) => [n, k.publicKey.export({ type: 'spki', format: 'pem' }) as string])) },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));

  coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir, port: 0, log: quiet });
  Object.assign(process.env, { CLOISTER_COORDINATOR: coord.url, CLOISTER_SIM_PLATFORM_DIR: platformDir, CLOISTER_HOME: join(dir, 'home') });
  assert.equal((await runCli('manifest', 'set', join(dir, 'manifest.json'), '--simulation')).code, 0);
  const rootBefore = coord.rootCaPem;
  // in normal operation there is nothing to recover
  const early = await runCli('recover', '--key', files.k1!, '--simulation');
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /RECOVERY_NOT_POSSIBLE/);
  await coord.close();

  // "new host": the simulated platform's sealing secret is gone, the sealed state stays
  rmSync(join(platformDir, SEALING_SECRET_FILE));
  coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir, port: 0, log: quiet });
  process.env.CLOISTER_COORDINATOR = coord.url;
  assert.equal(coord.state(), 'recovery');

  const none = await runCli('recover', '--key', stranger, '--simulation');
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /RECOVERY_ENVELOPE_NOT_FOUND/);
  const first = await runCli('recover', '--key', files.k1!, '--simulation');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout + first.stderr, /1\s*(of|\/)\s*2/);
  const again = await runCli('recover', '--key', files.k1!, '--simulation');
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /RECOVERY_SHARE_DUPLICATE/);
  const second = await runCli('recover', '--key', files.k2!, '--simulation');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(coord.state(), 'accepting-workloads');
  assert.equal(coord.rootCaPem, rootBefore, 'the same coordinator identity is back');
  // clients verify it as before
  const v = await runCli('verify', '--simulation', '--json');
  assert.equal(v.code, 0, v.stderr);
});
