import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, chmod, copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readReport, startFixture, waitReady, type Fixture } from './support.js';

/**
 * `cloister run` as a real process (the CLI from the sources through tsx): real signals to the
 * launcher, real exit statuses, configuration from CLOISTER_* variables only, and the one-line
 * failure contract.
 */
const ENTRY = fileURLToPath(new URL('./cli_entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let f: Fixture;

interface Proc {
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
  readonly kill: (s: NodeJS.Signals) => void;
}

function cloister(args: readonly string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', CLOISTER_SIM_PLATFORM_DIR: f.platformDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  return { exit, kill: (s) => child.kill(s) };
}

describe('cloister run as a process', () => {
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.coord.close();
    if (f !== undefined) await rm(f.dir, { recursive: true, force: true });
  });

  test('configured from CLOISTER_* only; a real SIGTERM is forwarded and the launcher exits 128 + 15', async () => {
    const report = join(f.dir, 'sigterm.json');
    const p = cloister(['run', '--', f.program], {
      CLOISTER_COORDINATOR: f.coord.url,
      CLOISTER_WORKLOAD: 'plain',
      CLOISTER_SIMULATION: '1',
      CLOISTER_MANIFEST_HASH: f.manifestHash,
      CLOISTER_TEE: 'simulated',
      MODE: 'hang',
      REPORT_FILE: report,
    });
    // fail fast (with the launcher's stderr) if it exits instead of starting the program
    await Promise.race([waitReady(report, 60_000), p.exit.then((r) => assert.fail(`the launcher exited early (${r.code}): ${r.stderr}`))]);
    p.kill('SIGTERM');
    const r = await p.exit;
    assert.equal(r.signal, null, `the launcher exits by itself, not by the signal; stderr: ${r.stderr}`);
    assert.equal(r.code, 143);
    assert.match(r.stderr, /cloister run: activated plain\/plain-\d+/);
    assert.match(r.stderr, /program exited with code 143/);
  });

  test("the program's exit code passes through", async () => {
    const report = join(f.dir, 'exit3.json');
    const r = await cloister(['run', '--coordinator', f.coord.url, '--workload', 'plain', '--simulation', '--quiet', '--', f.program], {
      MODE: 'exit:3',
      REPORT_FILE: report,
    }).exit;
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, '', '--quiet prints nothing when all goes well');
    assert.ok((await readReport(report)) !== undefined);
  });

  test('failures print exactly one line and exit 125 (or 2 for usage) without starting the program', async () => {
    const tampered = join(f.dir, 'tampered-cli.mjs');
    await copyFile(f.program, tampered);
    await appendFile(tampered, '// changed\n');
    await chmod(tampered, 0o755);
    const report = join(f.dir, 'tampered.json');
    const r = await cloister(['run', '--coordinator', f.coord.url, '--workload', 'app', '--simulation', '--quiet', '--', tampered], {
      MODE: 'exit:0',
      REPORT_FILE: report,
    }).exit;
    assert.equal(r.code, 125);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^cloister run: error LAUNCH_ACTIVATION_REFUSED: .*MEASUREMENT_MISMATCH/);
    assert.equal(await readReport(report), undefined, 'the program did not run');

    const usage = await cloister(['run', '--coordinator', f.coord.url, '--', f.program], {}).exit;
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr.trimEnd().split('\n').length, 1, usage.stderr);
    assert.match(usage.stderr, /LAUNCH_CONFIG_INVALID: --workload NAME is required/);
  });
});
