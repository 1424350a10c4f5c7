import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measurePath } from '../../../src/tee/index.js';

const base = mkdtempSync(join(tmpdir(), 'cloister-measure-cli-'));
after(() => rmSync(base, { recursive: true, force: true }));

const MAIN = fileURLToPath(new URL('./measure_main.ts', import.meta.url));

/** Runs `cloister measure ...args` in a child process; returns stdout, stderr and the exit code. */
function run(args: string[]): { out: string; err: string; code: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

test('prints the measurement, or JSON with --json', async () => {
  writeFileSync(join(base, 'app'), 'program');
  const want = await measurePath(base);
  const plain = run([base]);
  assert.equal(plain.code, 0);
  assert.equal(plain.out, `${want}\n`);
  const json = run([base, '--json']);
  assert.deepEqual(JSON.parse(json.out), { path: base, measurement: want, scheme: 'cloister/measure/v1', files: 1, links: 0, bytes: 7 });
});

test('a missing path is an error line with its code and exit code 2 (unreadable input)', async () => {
  const r = run([join(base, 'missing')]);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /^error MEASURE_PATH_UNREADABLE: /);
});
