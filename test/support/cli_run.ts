import { main } from '../../src/cli/main.js';

/**
 * Runs the `cloister` command line in-process (the same `main` that bin/cloister.js runs from
 * dist/) and captures what it writes and the exit code it sets. Calls are serialized: stdout,
 * stderr and process.exitCode are process-wide.
 */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

export function runCli(...args: string[]): Promise<CliRun> {
  const next = queue.then(() => runNow(args));
  queue = next.catch(() => undefined);
  return next;
}

async function runNow(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  // Only string writes are the command's: node:test's runner shares this process's stdout and
  // sends its own (binary, serialized) events as Buffers, which must pass through untouched.
  const capture = (sink: string[], orig: typeof process.stdout.write) => ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (typeof chunk !== 'string') return (orig as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    sink.push(chunk);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  const before = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = capture(out, origOut);
  process.stderr.write = capture(err, origErr);
  try {
    await main(['node', 'cloister', ...args]);
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
  const code = Number(process.exitCode ?? 0);
  // the test process itself must not exit with the command's code
  process.exitCode = before;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The one JSON object `--json` prints (fails loudly when stdout is not exactly one). */
export function jsonOf(run: CliRun): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`want one JSON line, got ${lines.length}:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}
