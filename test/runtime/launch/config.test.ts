import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveCommand, resolveLaunchConfig } from '../../../src/runtime/launch/index.js';
import { assertRejectsCode, assertThrowsCode } from '../../support/assert_code.js';

const HASH = 'AB'.repeat(32);
const base = { CLOISTER_COORDINATOR: 'https://127.0.0.1:4433', CLOISTER_WORKLOAD: 'api' };

describe('launcher configuration (flags, then CLOISTER_* variables)', () => {
  test('every option comes from the environment; flags win', () => {
    const env = {
      ...base,
      CLOISTER_INSTANCE_ID: 'api-7',
      CLOISTER_TEE: 'simulated',
      CLOISTER_MANIFEST_HASH: HASH,
      CLOISTER_SIMULATION: 'true',
      CLOISTER_MEASUREMENT: 'CD'.repeat(48),
      CLOISTER_SIM_PLATFORM_DIR: '/somewhere/platform',
    };
    const c = resolveLaunchConfig({}, ['prog', '-x'], env);
    assert.equal(c.coordinatorUrl, 'https://127.0.0.1:4433');
    assert.equal(c.workload, 'api');
    assert.equal(c.instanceId, 'api-7');
    assert.equal(c.tee, 'simulated');
    assert.equal(c.manifestHash, HASH.toLowerCase());
    assert.equal(c.simulation, true);
    assert.equal(c.measurement, 'cd'.repeat(48));
    assert.equal(c.platformDir, '/somewhere/platform');
    assert.equal(c.command, 'prog');
    assert.deepEqual(c.args, ['-x']);
    const flags = resolveLaunchConfig({ workload: 'db', tee: 'auto', coordinator: 'https://c:1' }, ['prog'], env);
    assert.equal(flags.workload, 'db');
    assert.equal(flags.tee, 'auto');
    assert.equal(flags.coordinatorUrl, 'https://c:1');
    const defaults = resolveLaunchConfig({}, ['prog'], base);
    assert.equal(defaults.tee, 'auto');
    assert.equal(defaults.simulation, false);
    assert.equal(defaults.manifestHash, undefined);
  });

  const bad: Array<[string, Parameters<typeof resolveLaunchConfig>[0], readonly string[], Record<string, string>]> = [
    ['no program', {}, [], base],
    ['no coordinator', {}, ['p'], { CLOISTER_WORKLOAD: 'api' }],
    ['no workload', {}, ['p'], { CLOISTER_COORDINATOR: 'https://x' }],
    ['workload not a DNS label', { workload: 'API_1' }, ['p'], base],
    ['unknown tee', { tee: 'sev' }, ['p'], base],
    ['simulated tee without simulation', { tee: 'simulated' }, ['p'], base],
    ['bad manifest hash', { manifestHash: 'abc' }, ['p'], base],
    ['bad simulation value', {}, ['p'], { ...base, CLOISTER_SIMULATION: 'maybe' }],
    ['bad measurement', { simulation: true, measurement: '12' }, ['p'], base],
    ['measurement and measure path', { simulation: true, measurement: 'ab'.repeat(48), measure: '/x' }, ['p'], base],
    ['measurement without simulation', { measurement: 'ab'.repeat(48) }, ['p'], base],
    ['platform key without simulation', { simPlatformKeys: ['pem'] }, ['p'], base],
  ];
  for (const [name, flags, cmd, env] of bad) {
    test(`refused: ${name}`, () => {
      assertThrowsCode(() => resolveLaunchConfig(flags, cmd, env), 'LAUNCH_CONFIG_INVALID');
    });
  }
});

describe('finding the program', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-cmd-'));
    for (const d of ['a', 'b', 'c']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'a', 'tool'), '#!/bin/sh\n', { mode: 0o644 }); // not executable: skipped
    await writeFile(join(dir, 'b', 'tool'), '#!/bin/sh\n');
    await chmod(join(dir, 'b', 'tool'), 0o755);
    await mkdir(join(dir, 'c', 'tool'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test('searches PATH like execvp, skipping non-executable matches', async () => {
    const r = await resolveCommand('tool', { cwd: '/', pathEnv: [join(dir, 'c'), join(dir, 'a'), join(dir, 'b')].join(':') });
    assert.deepEqual(r, { path: join(dir, 'b', 'tool'), argv0: 'tool' });
  });

  test('a name with a slash is relative to the working directory', async () => {
    const r = await resolveCommand('./b/tool', { cwd: dir, pathEnv: '' });
    assert.deepEqual(r, { path: join(dir, 'b', 'tool'), argv0: './b/tool' });
  });

  test('missing, directory and non-executable are told apart', async () => {
    await assertRejectsCode(() => resolveCommand('nothing-here', { cwd: dir, pathEnv: join(dir, 'b') }), 'LAUNCH_COMMAND_NOT_FOUND');
    await assertRejectsCode(() => resolveCommand('./missing', { cwd: dir, pathEnv: '' }), 'LAUNCH_COMMAND_NOT_FOUND');
    await assertRejectsCode(() => resolveCommand('./c/tool', { cwd: dir, pathEnv: '' }), 'LAUNCH_COMMAND_NOT_EXECUTABLE');
    await assertRejectsCode(() => resolveCommand('./a/tool', { cwd: dir, pathEnv: '' }), 'LAUNCH_COMMAND_NOT_EXECUTABLE');
    await assertRejectsCode(() => resolveCommand('tool', { cwd: dir, pathEnv: join(dir, 'a') }), 'LAUNCH_COMMAND_NOT_EXECUTABLE');
  });
});
