import { CloisterError } from '../common/errors.js';
import { CLI_CODES } from './codes.js';

/**
 * The one table from outcomes to process exit codes (part of the CLI contract):
 * 0 = ok, 1 = rejected (verification or policy failed, remote refused), 2 = usage error or
 * unreadable input.
 */
export const EXIT = { OK: 0, REJECTED: 1, USAGE: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];


/** A usage problem found by our own code (bad flag value, unreadable file). */
export class UsageError extends CloisterError<keyof typeof CLI_CODES> {}

/**
 * Codes of other layers that mean "the input the user gave is unusable" (exit 2, like a usage
 * error), as opposed to "the evidence or the remote refused" (exit 1).
 */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'MEASURE_PATH_UNREADABLE',
  'MEASURE_FILE_UNSUPPORTED',
  'COLLATERAL_REQUEST_INVALID',
  'COORDINATOR_URL_INVALID',
  'K8S_CONFIG_INVALID',
  'K8S_QUANTITY_INVALID',
  'K8S_MANIFEST_UNAVAILABLE',
  'K8S_LISTEN_FAILED',
  'K8S_TLS_INVALID',
  'COORDINATOR_LISTEN_FAILED',
  'STORE_URL_INVALID',
  'STORE_URL_TLS_MISMATCH',
  'STORE_ETCD_CONFIG_INVALID',
]);

export function exitCodeFor(e: unknown): ExitCode {
  if (e instanceof UsageError) return EXIT.USAGE;
  if (e instanceof CloisterError && USAGE_CODES.has(e.code)) return EXIT.USAGE;
  return EXIT.REJECTED;
}

/**
 * What failed (code) and why, for a person; never a stack trace. Validation errors that list
 * several issues (manifests) get one line per issue after the summary.
 */
export function describeError(e: unknown): string {
  if (!(e instanceof CloisterError)) return `error: ${e instanceof Error ? e.message : String(e)}`;
  const issues = e.detail?.issues;
  const lines = [`error ${e.code}: ${e.message}`];
  if (Array.isArray(issues) && issues.length > 1) {
    for (const i of issues as Array<{ path?: unknown; message?: unknown }>) lines.push(`  ${String(i.path ?? '') || '(document)'}: ${String(i.message ?? '')}`);
  }
  return lines.join('\n');
}

/**
 * Runs one command action: its result is the exit code; a thrown error becomes one line on
 * stderr (describeError) and the exit code from the table above. Every command goes through it.
 */
export async function runCommand(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n`);
    process.exitCode = exitCodeFor(e);
  }
}
