import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../../src/coordinator/index.js';
import { attestCoordinator, request } from '../../../src/runtime/index.js';
import { resolveLaunchConfig, type LaunchConfig, type LaunchDeps, type LaunchFlags } from '../../../src/runtime/launch/index.js';
import { measurePath } from '../../../src/tee/index.js';

/**
 * A real coordinator (simulation mode, 127.0.0.1, state and simulated platform in a temp dir)
 * with a manifest for one test program, and helpers to launch that program through the real
 * launcher flow. The program reports what it received to a JSON file (never to stdout, which
 * the test runner owns) and behaves as the MODE variable says.
 */
export const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
export const clock = { now: () => new Date() };

/** The test program; its `#!` names this very node binary, so no PATH lookup is involved. */
export function programSource(): string {
  return `#!${process.execPath}
import { readFileSync, writeFileSync } from 'node:fs';
const report = (extra) => writeFileSync(process.env.REPORT_FILE, JSON.stringify({
  argv: process.argv.slice(2), script: process.argv[1],
  env: { INSTANCE: process.env.INSTANCE, FROM_MANIFEST: process.env.FROM_MANIFEST, INHERITED: process.env.INHERITED },
  ...extra }));
const mode = process.env.MODE ?? 'exit:0';
const idle = () => setInterval(() => undefined, 1000);
if (mode.startsWith('exit:')) { report({}); process.exit(Number(mode.slice(5))); }
if (mode === 'trap') {
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => { report({ signal: s }); process.exit(42); });
  report({ ready: true }); idle();
}
if (mode === 'hang') { report({ ready: true }); idle(); }
if (mode === 'watch') {
  // collects every distinct content of CERT_FILE until it has seen WANT (default 3: 2 renewals)
  const seen = []; const started = Date.now();
  const timer = setInterval(() => {
    let text; try { text = readFileSync(process.env.CERT_FILE, 'utf8'); } catch { return; }
    if (!seen.includes(text)) seen.push(text);
    const timedOut = Date.now() - started > 30000;
    if (seen.length >= Number(process.env.WANT ?? 3) || timedOut) { clearInterval(timer); report({ certs: seen }); process.exit(timedOut ? 1 : 0); }
  }, 50);
}
`;
}

export interface Fixture {
  readonly dir: string;
  readonly files: string;
  readonly platformDir: string;
  readonly program: string;
  readonly measurement: string;
  readonly coord: RunningCoordinator;
  readonly manifestHash: string;
  readonly rootCaPem: string;
}

export function manifestFor(measurement: string, files: string, dir: string): Record<string, unknown> {
  return {
    packages: { prog: { simulated: { measurements: [measurement] } } },
    secrets: { k: { type: 'symmetric-key', size: 256 } },
    workloads: {
      app: {
        package: 'prog',
        certificate: { lifetime: '1h' },
        files: {
          [`${files}/app/tls/cert.pem`]: '{{ self.cert }}',
          [`${files}/app/tls/key.pem`]: '{{ self.key }}',
          [`${files}/app/secret.hex`]: '{{ secrets.k.hex }}',
        },
        env: { INSTANCE: '{{ instance.id }}', FROM_MANIFEST: 'yes' },
        argv: ['--from-manifest', '{{ workload.name }}'],
      },
      plain: { package: 'prog', certificate: { lifetime: '1h' } },
      // uses config.certLifetime (3 s): renewed about every 2 s
      short: { package: 'prog', files: { [`${files}/short/cert.pem`]: '{{ self.cert }}', [`${files}/short/key.pem`]: '{{ self.key }}' } },
      // a parent of this file is a regular file: no one (not even root) can write it
      blocked: { package: 'prog', certificate: { lifetime: '1h' }, files: { [`${dir}/blocker/file.txt`]: 'x' } },
    },
    config: { certLifetime: '3s' },
  };
}

export async function startFixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-launch-'));
  const files = join(dir, 'files');
  const platformDir = join(dir, 'platform');
  const program = join(dir, 'prog.mjs');
  await writeFile(program, programSource());
  await chmod(program, 0o755);
  await writeFile(join(dir, 'blocker'), 'a file, not a directory\n');
  const measurement = await measurePath(program);
  const coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir, port: 0, log: pino({ level: 'silent' }) });
  const att = await attestCoordinator(coord.url, { simulation: true, platformDir, now: new Date(), random });
  const set = await request('POST', new URL('/api/v1/manifest', coord.url), { manifest: JSON.stringify(manifestFor(measurement, files, dir)) }, {
    ca: att.rootCaPem,
    timeoutMs: 10_000,
  });
  const manifestHash = (set.json as { manifestHash: string }).manifestHash;
  return { dir, files, platformDir, program, measurement, coord, manifestHash, rootCaPem: att.rootCaPem };
}

export function configFor(f: Fixture, workload: string, flags: LaunchFlags = {}, command: readonly string[] = [f.program]): LaunchConfig {
  return resolveLaunchConfig({ coordinator: f.coord.url, workload, simulation: true, tee: 'simulated', manifestHash: f.manifestHash, ...flags }, command, {
    CLOISTER_SIM_PLATFORM_DIR: f.platformDir,
  });
}

export interface TestDeps extends LaunchDeps {
  readonly signals: EventEmitter;
  readonly lines: string[];
}

export function depsFor(f: Fixture, env: Record<string, string>, report: string): TestDeps {
  const lines: string[] = [];
  return {
    clock,
    random,
    env: { PATH: process.env.PATH, INHERITED: 'from-the-launcher', REPORT_FILE: report, ...env },
    cwd: f.dir,
    log: (line) => lines.push(line),
    signals: new EventEmitter(),
    lines,
    timeoutMs: 10_000,
  };
}

export async function readReport(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Polls until the program's report says it is ready (its signal handlers are installed). */
export async function waitReady(path: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await readReport(path))?.ready === true) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the program did not report ready in ${timeoutMs} ms`);
}
