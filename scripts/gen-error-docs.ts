// Writes docs/errors.md from the code tables (src/error_codes.ts). Run: npm run docs:errors
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from './error_docs.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
console.log('wrote docs/errors.md');
