import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/index.js';
import { attestCoordinator, endpoint, parseCoordinatorUrl, request } from '../../runtime/index.js';
import * as demo from '../../runtime/launch/demo/index.js';
import { measurePath, resolvePlatformDir } from '../../tee/index.js';
import { UsageError } from '../exit.js';
import { VERSION } from '../version.js';

/**
 * `cloister demo [--once]` (`npm start`): a coordinator in simulation mode, the manifest of
 * examples/demo, and its three unmodified programs started through `cloister run` as child
 * processes, with a short log of each step. It keeps running until Ctrl-C; `--once` runs the
 * same steps plus shutdown and exits 0 only when every check held (docs/launcher.md "The demo").
 */
type Run = (fn: () => Promise<number>) => Promise<void>;
interface DemoFlags { once?: boolean; dir?: string; keep?: boolean }

const START_TIMEOUT_MS = 60_000;
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };

export function registerDemoCommand(program: Command, run: Run): void {
  program
    .command('demo')
    .description('run the end-to-end demo: coordinator (simulation), manifest, three attested programs over mTLS')
    .option('--once', 'run every step and check once, print a summary, exit 0 only if all held')
    .option('--dir <dir>', 'keep the demo state in this (new or empty) directory instead of a temporary one')
    .option('--keep', 'do not delete the temporary directory at the end')
    .action((f: DemoFlags) => run(() => runDemo(f)));
}

async function runDemo(f: DemoFlags): Promise<number> {
  const repo = findCheckout();
  const dir = await demoDir(f.dir);
  const platformDir = resolvePlatformDir(undefined, process.env);
  const say = (tag: string, line: string): void => void process.stdout.write(`[${tag}]${' '.repeat(Math.max(1, 12 - tag.length))}${line}\n`);
  // workload output carries full hashes; the log stays readable with their first 16 digits
  const show = (tag: string, line: string): void => say(tag, line.replace(/\b([0-9a-f]{16})[0-9a-f]{24,}\b/g, '$1…'));
  const checks = demo.createChecklist((l) => say('check', l));
  const started: demo.WorkloadProcess[] = [];
  let coord: RunningCoordinator | undefined;
  let stopping = false;
  say('demo', `Cloister demo: SIMULATED TEE (development only, nothing here is protected by hardware); state in ${dir}`);
  const steps = async (): Promise<void> => {
    const programs = Object.fromEntries(demo.DEMO_WORKLOADS.map((w) => [w, join(repo, 'examples', 'demo', `${w}.mjs`)])) as Record<demo.DemoWorkload, string>;
    const measurements: Record<string, string> = {};
    for (const w of demo.DEMO_WORKLOADS) {
      measurements[w] = await measurePath(programs[w]);
      say('demo', `measured examples/demo/${w}.mjs: ${measurements[w]!.slice(0, 16)}… (cloister measure)`);
    }

    const logFile = join(dir, 'coordinator.log');
    const c = await startCoordinator({
      simulation: true, stateDir: join(dir, 'coordinator'), platformDir, port: 0, version: VERSION,
      log: pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true })),
    });
    coord = c;
    say('coordinator', `listening on ${c.url} in SIMULATION mode (log: ${logFile})`);

    const rendered = demo.renderDemoManifest(await readFile(join(repo, 'examples', 'demo', 'manifest.yaml'), 'utf8'), { measurements, root: join(dir, 'fs') });
    await writeFile(join(dir, 'manifest.json'), rendered.text);
    let rootCaPem = '';
    const ready = await checks.check('the demo attested the coordinator, set the manifest and saw it attested', async () => {
      const att = await attestCoordinator(c.url, { simulation: true, platformDir, now: new Date(), random });
      say('demo', `coordinator attested (simulated TEE, root CA sha256 ${att.rootCaFingerprint.slice(0, 16)}…), no manifest yet: setting ${join(dir, 'manifest.json')}`);
      await request('POST', endpoint(parseCoordinatorUrl(c.url), '/api/v1/manifest'), { manifest: rendered.text }, { ca: att.rootCaPem, timeoutMs: 15_000 });
      rootCaPem = (await attestCoordinator(c.url, { simulation: true, platformDir, expectedManifestHash: rendered.hash, now: new Date(), random })).rootCaPem;
      return `manifest hash ${rendered.hash}`;
    });
    if (!ready) return;

    const env: Record<string, string | undefined> = {
      ...process.env,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, // the programs' #!/usr/bin/env node
      CLOISTER_COORDINATOR: c.url, CLOISTER_SIMULATION: '1', CLOISTER_TEE: 'simulated',
      CLOISTER_MANIFEST_HASH: rendered.hash, CLOISTER_SIM_PLATFORM_DIR: platformDir,
    };
    for (const k of ['CLOISTER_WORKLOAD', 'CLOISTER_INSTANCE_ID', 'CLOISTER_MEASUREMENT', 'CLOISTER_MEASURE_PATH']) delete env[k];
    const bin = join(repo, 'bin', 'cloister.js');
    const launch = (tag: string, workload: demo.DemoWorkload, program: string, extra: Record<string, string>, flags: string[] = []): demo.WorkloadProcess => {
      say('demo', `starting ${tag}: cloister run --workload ${workload}${flags.map((x) => ` ${x}`).join('')} -- ${program.startsWith(repo) ? program.slice(repo.length + 1) : program}`);
      const p = demo.startWorkloadProcess({ name: tag, command: process.execPath, args: [bin, 'run', '--workload', workload, ...flags, '--', program], env: { ...env, ...extra }, cwd: repo, print: show });
      started.push(p);
      void p.exited.then(({ code, signal }) => {
        if (!stopping && workload !== 'client' && tag === workload) say('demo', `${tag} exited unexpectedly (${signal ?? code})`);
      });
      return p;
    };
    const serving = async (p: demo.WorkloadProcess): Promise<string> => {
      const url = (await p.waitFor(/listening on (https:\/\/\S+)/, START_TIMEOUT_MS))[1]!;
      const instance = p.lines.map((l) => /activated \S+\/(\S+):/.exec(l)?.[1]).find((x) => x !== undefined);
      return `instance ${instance ?? '?'}, ${url}`;
    };

    const db = launch('db', 'db', programs.db, { DB_LISTEN: '127.0.0.1:0' });
    if (!(await checks.check('db attested the coordinator, was activated and serves over mTLS', () => serving(db)))) return;
    const dbUrl = (await db.waitFor(/listening on (https:\/\/\S+)/, 0))[1]!;
    const api = launch('api', 'api', programs.api, { API_LISTEN: '127.0.0.1:0', DB_URL: dbUrl });
    if (!(await checks.check('api attested the coordinator, was activated and serves over mTLS', () => serving(api)))) return;
    const apiUrl = (await api.waitFor(/listening on (https:\/\/\S+)/, 0))[1]!;

    const client = launch('client', 'client', programs.client, { API_URL: apiUrl });
    await checks.check('client called the api over mTLS; the api stored and read a value in the db over mTLS', async () => {
      const r = await client.exited;
      if (r.code !== 0) throw new Error(`the client exited ${r.signal ?? r.code}`);
      return 'client exit 0';
    });
    await checks.check('a caller without a coordinator certificate is refused by the api', () => demo.unattestedCallerRefused(apiUrl, rootCaPem));
    await checks.check('a caller with a certificate from another CA is refused by the api', () => demo.impostorRefused(apiUrl, rootCaPem, new Date()));
    await checks.check('a tampered api program is refused activation', () =>
      demo.tamperedProgramRefused({ program: programs.api, workDir: dir, start: (p) => launch('tampered', 'api', p, {}, ['--quiet']), note: (l) => say('demo', l) }),
    );
    await checks.check("the db's data is encrypted on disk (protected volume)", () => demo.volumeEncrypted(join(dir, 'fs', 'db', 'data'), 'stored by '));

    if (f.once !== true) {
      printHowToVerify(c.url, rendered.hash, dir, platformDir, apiUrl, say);
      waiting = true;
      await stop.requested;
    }
    stopping = true;
    await checks.check('api and db stopped cleanly on SIGTERM (forwarded by cloister run, exit 0)', async () => {
      const results = await Promise.all([api, db].map(async (p) => {
        p.signal('SIGTERM');
        const r = await withTimeout(p.exited, 15_000, `${p.name} did not stop within 15 s`);
        return `${p.name} ${r.signal ?? r.code}`;
      }));
      if (!results.every((r) => r.endsWith(' 0'))) throw new Error(results.join(', '));
      return results.join(', ');
    });
  };
  // Ctrl-C (or SIGTERM) stops the demo in order: once it is up and waiting, through the clean
  // shutdown step; while it is still starting, straight to the cleanup below.
  let waiting = false;
  const stop = stopRequest(() => say('demo', 'stopping'));
  const running = steps();
  running.catch(() => undefined);
  try {
    await Promise.race([running, stop.requested.then(() => (waiting ? running : checks.fail('the demo ran to the end', 'interrupted')))]);
  } finally {
    stop.dispose();
    stopping = true;
    for (const p of started) p.signal('SIGTERM');
    const all = Promise.all(started.map((p) => p.exited));
    if ((await Promise.race([all.then(() => true), sleep(5000).then(() => false)])) === false) for (const p of started) p.signal('SIGKILL');
    await all;
    await coord?.close();
    if (f.dir === undefined && f.keep !== true) await rm(dir, { recursive: true, force: true });
    else say('demo', `state kept in ${dir}`);
  }
  process.stdout.write(`\nsummary (SIMULATED TEE):\n${checks.summary().join('\n')}\n`);
  return checks.allPassed() ? 0 : 1;
}

function printHowToVerify(url: string, hash: string, dir: string, platformDir: string, apiUrl: string, say: (t: string, l: string) => void): void {
  const platformEnv = process.env.CLOISTER_SIM_PLATFORM_DIR === undefined ? '' : `CLOISTER_SIM_PLATFORM_DIR=${platformDir} `;
  say('demo', 'running. In another terminal, check what the coordinator runs:');
  say('demo', `  ${platformEnv}node bin/cloister.js verify --coordinator ${url} --simulation --manifest ${join(dir, 'manifest.json')}`);
  say('demo', `  (or --manifest-hash ${hash}); the api is at ${apiUrl} (mTLS only). Press Ctrl-C to stop.`);
}

/** Resolves `requested` on the first SIGINT or SIGTERM (which then no longer kill the process). */
function stopRequest(onStop: () => void): { requested: Promise<void>; dispose: () => void } {
  let fire!: () => void;
  const requested = new Promise<void>((resolveStop) => (fire = resolveStop));
  const handler = (): void => {
    onStop();
    fire();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { requested, dispose: () => (process.off('SIGINT', handler), process.off('SIGTERM', handler)) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}

/** The demo needs a Cloister checkout (examples/demo) with its build (bin/cloister.js runs dist/). */
function findCheckout(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    if (existsSync(join(d, 'examples', 'demo', 'manifest.yaml')) && existsSync(join(d, 'bin', 'cloister.js'))) {
      if (!existsSync(join(d, 'dist', 'src', 'cli', 'main.js'))) throw new UsageError('INPUT_UNREADABLE', `the demo runs the built CLI: run 'npm run build' in ${d} first`);
      return d;
    }
    if (dirname(d) === d) throw new UsageError('INPUT_UNREADABLE', 'the demo runs from a Cloister checkout (examples/demo and bin/cloister.js not found)');
  }
}

async function demoDir(given: string | undefined): Promise<string> {
  if (given === undefined) return mkdtemp(join(tmpdir(), 'cloister-demo-'));
  const dir = resolve(given);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) throw new UsageError('USAGE_ERROR', `--dir ${dir} is not empty (the demo starts a fresh coordinator there)`);
  return dir;
}
