import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A coordinator replica as a REAL process: `cloister coordinator start --simulation --store
 * etcd://...` run through the same command-line entry the CLI tests use
 * (test/cli/commands/cli_main.ts), so what is tested is what an operator starts. The URL comes
 * from the CLI's "listening on URL" line on stderr; pino's JSON log lines on stdout are kept
 * (the interesting ones whole, the rest as a short tail) so tests can wait for e.g. "elected
 * leader" and read when the replica logged it.
 *
 * Every replica is SIGKILLed when the test process exits (an 'exit' hook, and where util-linux
 * setpriv exists the kernel's parent-death signal, as test/support/etcd_cluster.ts does), so no
 * coordinator outlives a crashed test run.
 */
const CLI_MAIN = fileURLToPath(new URL('../../cli/commands/cli_main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface LogLine {
  readonly msg: string;
  /** pino's `time`: ms since the epoch on this machine's clock (the test's clock too) */
  readonly time: number;
  readonly level: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface ReplicaProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** true while the process runs */
  readonly running: boolean;
  /** log lines whose msg matched `keep` (all lines when none was given) */
  readonly logs: readonly LogLine[];
  /** SIGKILL (a crash: no shutdown, no leader resignation) and wait until the process is gone */
  kill(): Promise<void>;
  /** SIGTERM (an orderly shutdown) and wait; SIGKILL after 10 s */
  stop(): Promise<void>;
  /** resolves with the first kept line (already seen or future) that satisfies `pred` */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}
const SETPRIV = findOnPath('setpriv');

const live = new Set<ChildProcess>();
let hooked = false;
function killAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
}

export interface SpawnReplicaOptions {
  readonly name: string;
  /** --store value, e.g. etcd://127.0.0.1:2379,127.0.0.1:2380; 'file' for a single coordinator */
  readonly store: string;
  readonly stateDir: string;
  /** --sim-platform-dir shared by every replica (they must trust each other's evidence) */
  readonly platformDir: string;
  /** which log messages to keep whole (default: every line) */
  readonly keep?: (msg: string) => boolean;
  readonly extraArgs?: readonly string[];
  readonly startTimeoutMs?: number;
  /** CLOISTER_LOG_LEVEL of the replica (default info: leader and reload lines are info) */
  readonly logLevel?: string;
}

export async function spawnReplica(o: SpawnReplicaOptions): Promise<ReplicaProcess> {
  const args = [
    '--import', 'tsx', CLI_MAIN, 'coordinator', 'start', '--simulation',
    '--store', o.store, '--listen', '127.0.0.1:0', '--state-dir', o.stateDir, '--sim-platform-dir', o.platformDir,
    // every client of a test comes from 127.0.0.1: the per-address limit would throttle the test, not a client
    '--activation-rate', '1000000',
    ...(o.extraArgs ?? []),
  ];
  const [cmd, argv] = SETPRIV === undefined ? [process.execPath, args] : [SETPRIV, ['--pdeathsig', 'KILL', '--', process.execPath, ...args]];
  const proc = spawn(cmd, argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1', CLOISTER_LOG_LEVEL: o.logLevel ?? 'info' },
  });
  killAllOnExit();
  live.add(proc);
  const exited = new Promise<void>((r) => proc.once('exit', () => {
    live.delete(proc);
    r();
  }));

  const logs: LogLine[] = [];
  const waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let tail = '';
  let stderr = '';
  let partial = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const text of lines) {
      tail = (tail + text + '\n').slice(-4096);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      const line: LogLine = { msg: String(parsed.msg ?? ''), time: Number(parsed.time ?? Date.now()), level: Number(parsed.level ?? 0), fields: parsed };
      if (o.keep !== undefined && !o.keep(line.msg)) continue;
      logs.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(line)) waiters.splice(i, 1)[0]!.resolve(line);
      }
    }
  });
  proc.stderr!.setEncoding('utf8');

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`replica ${o.name} did not listen within ${o.startTimeoutMs ?? 60_000} ms\nstderr:\n${stderr}\nstdout tail:\n${tail}`));
    }, o.startTimeoutMs ?? 60_000);
    proc.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-8192);
      const m = /listening on (https:\/\/\S+?),/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`replica ${o.name} exited (${code ?? signal}) before listening\nstderr:\n${stderr}\nstdout tail:\n${tail}`));
    });
  });

  const running = () => proc.exitCode === null && proc.signalCode === null;
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (!running()) return;
    proc.kill(signal);
    await exited;
  };
  return {
    name: o.name,
    url,
    pid: proc.pid!,
    get running() {
      return running();
    },
    logs,
    kill: () => signalAndWait('SIGKILL'),
    async stop() {
      if (!running()) return;
      const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await signalAndWait('SIGTERM');
      clearTimeout(force);
    },
    waitForLog(pred, timeoutMs) {
      const seen = logs.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const w = { pred, resolve: (l: LogLine) => (clearTimeout(timer), resolve(l)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`replica ${o.name}: no matching log line within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
  };
}
