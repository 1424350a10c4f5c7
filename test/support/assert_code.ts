import assert from 'node:assert/strict';
import { CloisterError } from '../../src/common/errors.js';

/** Asserts fn throws a CloisterError whose code is one of `codes` (never matches messages). */
export function assertThrowsCode(fn: () => unknown, codes: string | readonly string[], context = ''): CloisterError {
  const want = typeof codes === 'string' ? [codes] : codes;
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CloisterError, `${context} expected a CloisterError, got ${String(e)}${e instanceof Error ? `\n${e.stack}` : ''}`);
    assert.ok(want.includes(e.code), `${context} expected code ${want.join('|')}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`${context} expected an error with code ${want.join('|')}, but nothing was thrown`);
}

export async function assertRejectsCode(fn: () => Promise<unknown>, codes: string | readonly string[], context = ''): Promise<CloisterError> {
  const want = typeof codes === 'string' ? [codes] : codes;
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof CloisterError, `${context} expected a CloisterError, got ${String(e)}`);
    assert.ok(want.includes(e.code), `${context} expected code ${want.join('|')}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`${context} expected a rejection with code ${want.join('|')}`);
}
