import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `npm start -- --once` end to end: the built CLI (bin/cloister.js runs dist/) starts a
 * coordinator, sets the demo manifest and runs the three demo programs through `cloister run`
 * as real processes. Builds first when dist/ is missing (a stale dist/ is used as is: run
 * `npm run build` after changing the sources). The simulated platform key lives in a temp dir.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let platformHome: string;

before(async () => {
  platformHome = await mkdtemp(join(tmpdir(), 'cloister-demo-test-'));
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}${r.stderr}`);
  }
});
after(async () => rm(platformHome, { recursive: true, force: true }));

test('cloister demo --once: every step holds and the summary says so', { timeout: 240_000 }, async () => {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'cloister.js'), 'demo', '--once'], {
    cwd: ROOT,
    env: { ...process.env, CLOISTER_SIM_PLATFORM_DIR: join(platformHome, 'platform'), NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0, out);
  const summary = out.slice(out.indexOf('summary (SIMULATED TEE):'));
  for (const line of [
    /PASS {2}the demo attested the coordinator, set the manifest and saw it attested \(manifest hash [0-9a-f]{64}\)/,
    /PASS {2}db attested the coordinator, was activated and serves over mTLS/,
    /PASS {2}api attested the coordinator, was activated and serves over mTLS/,
    /PASS {2}client called the api over mTLS; the api stored and read a value in the db over mTLS/,
    /PASS {2}a caller without a coordinator certificate is refused by the api/,
    /PASS {2}a caller with a certificate from another CA is refused by the api/,
    /PASS {2}a tampered api program is refused activation \(MEASUREMENT_MISMATCH, launcher exit 125, the program never started\)/,
    /PASS {2}the db's data is encrypted on disk \(protected volume\)/,
    /PASS {2}api and db stopped cleanly on SIGTERM/,
  ]) {
    assert.match(summary, line);
  }
  assert.doesNotMatch(summary, /FAIL/);
  assert.match(summary, /^9\/9 checks passed$/m);
  // the step-by-step log shows attestation, activation and the mTLS calls
  assert.match(out, /\[client\] +client client-\d+: GET \/kv\/greeting -> 200 stored by client-\d+/);
  assert.match(out, /\[api\] +cloister run: activated api\/api-\d+/);
});
