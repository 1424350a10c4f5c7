import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { LaunchError } from './errors.js';

/**
 * Runs the workload's program as the launcher's child: stdio passed through, SIGTERM, SIGINT
 * and SIGHUP forwarded, and the launcher's exit code is the child's (a child killed by signal
 * n gives 128 + n, as shells report it). The launcher stays the parent, rather than replacing
 * itself, because it must keep renewing the instance certificate while the program runs (Node
 * has no exec(2) either).
 *
 * When the launcher runs in a terminal, Ctrl-C reaches the program twice: directly (same
 * process group) and forwarded. Programs treat a second SIGINT during shutdown as the first;
 * in containers, where signals come from the runtime to PID 1 only, there is one delivery.
 */
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** Where signals come from: the process, or a test's EventEmitter. */
export interface SignalSource {
  on(signal: ForwardedSignal, listener: () => void): unknown;
  off(signal: ForwardedSignal, listener: () => void): unknown;
}

export interface ChildOptions {
  readonly path: string;
  readonly argv0: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly signals: SignalSource;
  /** called once the program runs (its pid), e.g. to start renewal */
  readonly onStart?: (pid: number) => void;
}

/** The exit code a shell would report: the code, or 128 + the signal number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : constants.signals[signal];
  return n === undefined ? 1 : 128 + n;
}

/** 128 + n for a signal name (what the launcher exits with when interrupted before the start). */
export function signalExitCode(signal: ForwardedSignal): number {
  return 128 + constants.signals[signal];
}

export function runChild(o: ChildOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(o.path, [...o.args], { argv0: o.argv0, env: o.env, cwd: o.cwd, stdio: 'inherit' });
    const forwarders = FORWARDED_SIGNALS.map((signal) => {
      const forward = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      o.signals.on(signal, forward);
      return () => o.signals.off(signal, forward);
    });
    let settled = false;
    const done = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const remove of forwarders) remove();
      fn();
    };
    child.once('spawn', () => o.onStart?.(child.pid!));
    child.once('error', (e: NodeJS.ErrnoException) =>
      done(() => {
        // the file was checked before activation; it changed since, or the kernel refused it (e.g. a bad #! line)
        const missing = e.code === 'ENOENT';
        reject(
          new LaunchError(
            missing ? 'LAUNCH_COMMAND_NOT_FOUND' : 'LAUNCH_COMMAND_NOT_EXECUTABLE',
            `cannot start '${o.argv0}' (${o.path}): ${e.code ?? e.message}${missing ? ' (the file or its #! interpreter is missing)' : ''}`,
            { cause: e, detail: { command: o.argv0, path: o.path, errno: e.code } },
          ),
        );
      }),
    );
    child.once('exit', (code, signal) => done(() => resolve(exitCodeOf(code, signal))));
  });
}
