import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorDocs } from '../../scripts/error_docs.js';
import { CODE_GROUPS } from '../../src/error_codes.js';

test('docs/errors.md is generated from the code tables (run npm run docs:errors)', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, renderErrorDocs());
});

test('error codes are SCREAMING_SNAKE and unique across tables with one meaning each', () => {
  const seen = new Map<string, string>();
  for (const g of CODE_GROUPS) {
    for (const [code, text] of Object.entries(g.table)) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/, code);
      assert.ok(text.length > 10, `${code} needs a description`);
      const prev = seen.get(code);
      assert.ok(prev === undefined || prev === text, `code ${code} is defined twice with different meanings`);
      seen.set(code, text);
    }
  }
});
