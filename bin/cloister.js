#!/usr/bin/env node
// The `cloister` command. Runs the compiled build (npm ci / npm run build produce dist/).
import { main } from '../dist/src/cli/main.js';

await main(process.argv);
