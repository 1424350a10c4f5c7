// Runs the whole `cloister` command line as its own process (tests that check stderr and exit codes).
import { main } from '../../../src/cli/main.js';

await main(['node', 'cloister', ...process.argv.slice(2)]);
