import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * One `cloister run` child of the demo: its output (the launcher's lines and the program's)
 * is shown line by line under the workload's name and kept, so the demo can wait for a line
 * ("listening on ...") or for the exit.
 */
export interface WorkloadProcess {
  readonly name: string;
  readonly lines: readonly string[];
  /** resolves with the first line (seen or to come) matching `re`; rejects on exit or timeout */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
}

export interface WorkloadProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly print: (name: string, line: string) => void;
}

export function startWorkloadProcess(o: WorkloadProcessOptions): WorkloadProcess {
  const child = spawn(o.command, [...o.args], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  const onLine = (line: string): void => {
    lines.push(line);
    o.print(o.name, line);
    for (const w of [...waiters]) w(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      running = false;
      onLine(`cannot start ${o.command}: ${e.message}`);
      resolve({ code: null, signal: null });
    });
    // 'close' comes after the output streams end: every line has been seen by then
    child.once('close', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });

  return {
    name: o.name,
    lines,
    exited,
    signal: (s) => {
      if (running) child.kill(s);
    },
    waitFor(re, timeoutMs) {
      const seen = lines.map((l) => re.exec(l)).find((m) => m !== null);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const done = (fn: () => void): void => {
          waiters.delete(check);
          clearTimeout(timer);
          fn();
        };
        const check = (line: string): void => {
          const m = re.exec(line);
          if (m !== null) done(() => resolve(m));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${o.name}: no line matching ${re} within ${timeoutMs} ms`))), timeoutMs);
        waiters.add(check);
        void exited.then(({ code, signal }) => done(() => reject(new Error(`${o.name} exited (${signal ?? code}) before printing a line matching ${re}`))));
      });
    },
  };
}
