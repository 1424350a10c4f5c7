import { Command, CommanderError } from 'commander';
import { registerCollateralCommands } from '../../../src/cli/commands/collateral.js';

/**
 * Runs `cloister collateral ...` as its own process, with the exit-code contract of
 * src/cli/main.ts (commander usage errors exit 2), until the lead wires the command into
 * the main program.
 */
const program = new Command('cloister').exitOverride();
registerCollateralCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode === 0 ? 0 : 2;
}
