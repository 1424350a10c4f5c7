import type { Command } from 'commander';
import { measurePathDetailed, MEASURE_LABEL, type MeasureProgress } from '../../tee/index.js';
import { EXIT, describeError, exitCodeFor } from '../exit.js';

/** Trees smaller than this finish before progress would help. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 500;

/**
 * `cloister measure PATH [--json]`: the simulated TEE's measurement of a program file or
 * directory (docs/simulated-tee.md), the value to put in a manifest's `simulated.measurements`.
 * The measurement alone goes to stdout; progress for big trees goes to stderr.
 */
export function registerMeasureCommand(program: Command): void {
  program
    .command('measure')
    .description('print the simulated-TEE measurement (SHA-384) of a program file or directory')
    .argument('<path>', 'file or directory to measure')
    .option('--json', 'print one JSON object with the measurement and what was measured')
    .action(async (path: string, flags: { json?: boolean }) => {
      try {
        process.exitCode = await measureCommand(path, flags.json ?? false);
      } catch (e) {
        process.stderr.write(`${describeError(e)}\n`);
        process.exitCode = exitCodeFor(e);
      }
    });
}

async function measureCommand(path: string, json: boolean): Promise<number> {
  const started = Date.now();
  let last = started;
  let shown = false;
  const onProgress = (p: MeasureProgress): void => {
    const now = Date.now();
    if (now - started < PROGRESS_AFTER_MS || now - last < PROGRESS_EVERY_MS) return;
    last = now;
    shown = true;
    process.stderr.write(`measuring ${path}: ${p.files} files, ${(p.bytes / 1048576).toFixed(1)} MiB\n`);
  };
  const r = await measurePathDetailed(path, { onProgress });
  if (shown) process.stderr.write(`measured ${r.files} files, ${r.links} links, ${(r.bytes / 1048576).toFixed(1)} MiB\n`);
  if (json) {
    const scheme = MEASURE_LABEL.replace(/\0$/, '');
    process.stdout.write(`${JSON.stringify({ path, measurement: r.measurement, scheme, files: r.files, links: r.links, bytes: r.bytes })}\n`);
  } else {
    process.stdout.write(`${r.measurement}\n`);
  }
  return EXIT.OK;
}
