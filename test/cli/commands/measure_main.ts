// Runs `cloister measure` as its own process for measure.test.ts (stdout is the test runner's channel in-process).
import { Command } from 'commander';
import { registerMeasureCommand } from '../../../src/cli/commands/measure.js';

const program = new Command('cloister').exitOverride();
registerMeasureCommand(program);
await program.parseAsync(['node', 'cloister', 'measure', ...process.argv.slice(2)]);
