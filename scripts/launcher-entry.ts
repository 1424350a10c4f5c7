// Entry of the single-executable launcher (scripts/build-launcher.mjs bundles it): the whole
// `cloister` CLI. In a Node single-executable application process.argv[1] is the executable
// itself, so commander's default argv handling ('node' style: skip two) sees the user's args.
import { main } from '../src/cli/main.js';

void main(process.argv);
