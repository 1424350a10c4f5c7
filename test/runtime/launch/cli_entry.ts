// The `cloister` command line from the TypeScript sources (what bin/cloister.js runs from dist/),
// so the launcher can be tested as a real process without a build.
import { main } from '../../../src/cli/main.js';

await main(process.argv);
