import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerClientCommands } from '../../src/cli/commands/client.js';
import { runCommand as run } from '../../src/cli/exit.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { coordinatorCaPath } from '../../src/runtime/index.js';
import { startFakeCoordinator, tempDir, type FakeCoordinator } from './support/fake_coordinator.js';

/** The client commands in-process, with the exit-code contract every command runs under (runCommand). */
const DEMO_MANIFEST = new URL('../../examples/demo/manifest.yaml', import.meta.url).pathname;
const DEMO_HASH = manifestHash(parseManifest(readFileSync(DEMO_MANIFEST, 'utf8')));

interface Result { code: number; stdout: string; stderr: string }
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const program = new Command('cloister').exitOverride();
  registerClientCommands(program, run);
  const out: string[] = [];
  const err: string[] = [];
  const saved = { out: process.stdout.write, err: process.stderr.write, env: { ...process.env } };
  // Commands write strings; the test runner's own reports (v8-serialized Buffers on the child's
  // stdout) may be flushed meanwhile and must pass through untouched.
  const capture = (sink: string[], original: typeof process.stdout.write) =>
    ((c: string | Uint8Array, ...rest: unknown[]) =>
      typeof c === 'string' ? sink.push(c) > 0 : (original as (...a: unknown[]) => boolean).call(process.stdout, c, ...rest)) as typeof process.stdout.write;
  process.stdout.write = capture(out, saved.out);
  process.stderr.write = capture(err, saved.err);
  Object.assign(process.env, baseEnv, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  let code: number;
  try {
    process.exitCode = 0;
    await program.parseAsync(['node', 'cloister', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : 2;
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.env = saved.env;
    process.exitCode = 0;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

let fake: FakeCoordinator;
let fresh: FakeCoordinator;
let baseEnv: Record<string, string>;
before(async () => {
  [fake, fresh] = await Promise.all([startFakeCoordinator({ manifestHash: DEMO_HASH }), startFakeCoordinator({ manifestHash: null })]);
  fake.manifestText = readFileSync(DEMO_MANIFEST, 'utf8');
});
after(() => Promise.all([fake.close(), fresh.close()]));
beforeEach(() => {
  fake.routes.clear();
  baseEnv = { CLOISTER_COORDINATOR: fake.url, CLOISTER_SIM_PLATFORM_DIR: fake.platformDir, CLOISTER_HOME: tempDir('home') };
});

test('verify: exit 0 when evidence, binding, manifest and TLS hold; the root is saved', async () => {
  const saveCa = join(tempDir('out'), 'ca.pem');
  const r = await cli(['verify', '--simulation', '--manifest', DEMO_MANIFEST, '--save-ca', saveCa]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /SIMULATED coordinator/);
  assert.match(r.stderr, /SIMULATED coordinator/);
  assert.equal(readFileSync(saveCa, 'utf8').trim(), fake.root.pem.trim());
  assert.equal(readFileSync(coordinatorCaPath(fake.url, baseEnv), 'utf8').trim(), fake.root.pem.trim());
});

test('verify --json prints the attested facts; --manifest-hash is compared', async () => {
  const r = await cli(['verify', '--simulation', '--json', '--manifest-hash', DEMO_HASH.toUpperCase(), '--coordinator', fake.url], { CLOISTER_COORDINATOR: undefined });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.ok, true);
  assert.equal(j.simulated, true);
  assert.equal(j.manifestHash, DEMO_HASH);
  assert.equal(j.manifestHashChecked, true);
});

test('verify: exit 1 with the reason on a different manifest, a simulated coordinator without --simulation, an untrusted platform', async () => {
  const other = join(tempDir('m'), 'other.yaml');
  writeFileSync(other, readFileSync(DEMO_MANIFEST, 'utf8').replace('size: 256', 'size: 128'));
  let r = await cli(['verify', '--simulation', '--manifest', other]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error MANIFEST_HASH_MISMATCH: /);
  assert.equal(r.stderr.trim().split('\n').length, 1); // the reason in one line

  r = await cli(['verify']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error SIMULATED_COORDINATOR_NOT_ALLOWED: /);

  r = await cli(['verify', '--simulation', '--json'], { CLOISTER_SIM_PLATFORM_DIR: tempDir('empty') });
  assert.equal(r.code, 1);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'TRUSTED_PLATFORM_KEY_MISSING');
});

test('verify: --sim-platform-key trusts an explicit key', async () => {
  const key = join(tempDir('k'), 'platform.pub.pem');
  writeFileSync(key, fake.platformKeyPem);
  const r = await cli(['verify', '--simulation', '--sim-platform-key', key], { CLOISTER_SIM_PLATFORM_DIR: tempDir('empty') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /NOT compared/);
});

test('usage errors exit 2', async () => {
  for (const [args, env] of [
    [['verify', '--simulation'], { CLOISTER_COORDINATOR: undefined }],
    [['verify', '--simulation', '--coordinator', 'http://127.0.0.1:1'], {}],
    [['verify', '--simulation', '--manifest-hash', 'abc'], {}],
    [['verify', '--simulation', '--manifest-hash', DEMO_HASH, '--manifest', DEMO_MANIFEST], {}],
    [['verify', '--sim-platform-key', DEMO_MANIFEST], {}],
    [['verify', '--simulation', '--manifest', '/nonexistent/m.yaml'], {}],
    [['verify', '--no-such-flag'], {}],
  ] as const) {
    const r = await cli([...args], env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('status prints the state of the attested coordinator', async () => {
  const r = await cli(['status', '--simulation', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.state, 'accepting-workloads');
  assert.equal(j.tee, 'simulated');
  const h = await cli(['status', '--simulation']);
  assert.match(h.stdout, /^SIMULATED coordinator /);
  assert.equal((await cli(['status'])).code, 1);
});

test('manifest get returns the text only when it hashes to the attested hash', async () => {
  const out = join(tempDir('get'), 'manifest.yaml');
  const r = await cli(['manifest', 'get', '--simulation', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(out, 'utf8'), fake.manifestText);
  const s = await cli(['manifest', 'get', '--simulation']);
  assert.equal(s.stdout, fake.manifestText);

  fake.rewrite('GET /api/v1/manifest', async (j) => ({ ...j, manifest: String(j.manifest).replace('size: 256', 'size: 128') }));
  const t = await cli(['manifest', 'get', '--simulation']);
  assert.equal(t.code, 1);
  assert.match(t.stderr, /MANIFEST_HASH_MISMATCH/);
});

test('manifest set sends the manifest after attesting, then checks the new hash is attested', async () => {
  const env = { CLOISTER_COORDINATOR: fresh.url, CLOISTER_SIM_PLATFORM_DIR: fresh.platformDir };
  assert.equal((await cli(['manifest', 'set', DEMO_MANIFEST], env)).code, 1); // simulated, no --simulation: nothing sent
  assert.equal(fresh.manifestText, null);
  const r = await cli(['manifest', 'set', '--simulation', DEMO_MANIFEST], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(DEMO_HASH));
  assert.equal(fresh.manifestHash, DEMO_HASH);
  const again = await cli(['manifest', 'set', '--simulation', DEMO_MANIFEST], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /COORDINATOR_REJECTED.*MANIFEST_ALREADY_SET/);
  const bad = join(tempDir('bad'), 'bad.yaml');
  writeFileSync(bad, 'packages: 3\n');
  const b = await cli(['manifest', 'set', '--simulation', bad], env);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /MANIFEST_INVALID/);
});
