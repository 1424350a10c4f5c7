import { CloisterError } from '../common/errors.js';

/**
 * The one table from outcomes to process exit codes (part of the CLI contract):
 * 0 = ok, 1 = rejected (verification or policy failed, remote refused), 2 = usage error or
 * unreadable input.
 */
export const EXIT = { OK: 0, REJECTED: 1, USAGE: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A usage problem found by our own code (bad flag value, unreadable file). */
export class UsageError extends CloisterError<'USAGE_ERROR' | 'INPUT_UNREADABLE'> {}

export function exitCodeFor(e: unknown): ExitCode {
  if (e instanceof UsageError) return EXIT.USAGE;
  return EXIT.REJECTED;
}

/** One clear line for a person: what failed (code) and why; never a stack trace. */
export function describeError(e: unknown): string {
  if (e instanceof CloisterError) return `error ${e.code}: ${e.message}`;
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}
