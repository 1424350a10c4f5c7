import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EvidenceError } from '../../../src/evidence/errors.js';
import { parseDcapQuote, serializeDcapQuote } from '../../../src/evidence/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { readVector, SKIP_NO_VECTORS } from '../../support/vectors.js';
import { COMBOS, sampleQuote } from './fixtures.js';

/**
 * Every prefix of a quote is rejected with QUOTE_TRUNCATED (never another exception), a
 * non-zero byte after the signature data is QUOTE_TRAILING_DATA, appended zeros are padding.
 */

function checkEveryPrefix(raw: Uint8Array, label: string): void {
  for (let n = 0; n < raw.length; n++) {
    assertThrowsCode(() => parseDcapQuote(raw.subarray(0, n)), 'QUOTE_TRUNCATED', `${label} cut at ${n}:`);
  }
}

function checkAppends(raw: Uint8Array, label: string): void {
  const base = parseDcapQuote(raw).trailingZeroPadding;
  for (const extra of [Uint8Array.of(1), Uint8Array.of(0, 0, 0x80), Uint8Array.of(0xff, 0)]) {
    const bytes = new Uint8Array([...raw, ...extra]);
    assertThrowsCode(() => parseDcapQuote(bytes), 'QUOTE_TRAILING_DATA', `${label} + ${extra.join(',')}:`);
  }
  for (const zeros of [1, 7, 64]) {
    const bytes = new Uint8Array([...raw, ...new Uint8Array(zeros)]);
    const q = parseDcapQuote(bytes);
    assert.equal(q.trailingZeroPadding, base + zeros);
    assert.deepEqual(serializeDcapQuote(q), bytes);
    assertThrowsCode(() => parseDcapQuote(bytes, { allowTrailingZeroPadding: false }), 'QUOTE_TRAILING_DATA');
  }
}

describe('truncation and trailing data on real quotes', { skip: SKIP_NO_VECTORS }, () => {
  // Quotes without padding, so that every shorter prefix is truly truncated.
  const cases = [
    { id: 'sgx/dcap-qvl-sample', what: 'SGX v3' },
    { id: 'tdx/oasis-v4', what: 'TDX v4' },
    { id: 'tdx/trustee-quote5-v5-parse-only', what: 'TDX v5 (TD 1.5)' },
  ];
  for (const c of cases) {
    test(`${c.what} (${c.id}): every prefix is QUOTE_TRUNCATED`, () => {
      const raw = readVector(c.id, 'quote.bin');
      assert.equal(parseDcapQuote(raw).trailingZeroPadding, 0);
      checkEveryPrefix(raw, c.id);
    });
    test(`${c.what} (${c.id}): appended non-zero bytes are rejected, zeros are padding`, () => {
      checkAppends(readVector(c.id, 'quote.bin'), c.id);
    });
  }

  test('a padded quote cut inside its padding keeps parsing (fewer padding bytes)', () => {
    const raw = readVector('tdx/dcap-qvl-sample-v4', 'quote.bin');
    const q = parseDcapQuote(raw);
    const sigEnd = raw.length - q.trailingZeroPadding;
    for (let n = sigEnd; n < raw.length; n++) assert.equal(parseDcapQuote(raw.subarray(0, n)).trailingZeroPadding, n - sigEnd);
    assertThrowsCode(() => parseDcapQuote(raw.subarray(0, sigEnd - 1)), 'QUOTE_TRUNCATED');
  });
});

describe('truncation and trailing data on synthetic quotes', () => {
  for (const { version, bodyType } of COMBOS) {
    test(`v${version} body type ${bodyType}: every prefix is QUOTE_TRUNCATED; appends behave`, () => {
      const raw = serializeDcapQuote(sampleQuote(version, bodyType));
      checkEveryPrefix(raw, `v${version}/${bodyType}`);
      checkAppends(raw, `v${version}/${bodyType}`);
    });
  }

  test('errors are EvidenceError instances with a code and a JSON view', () => {
    try {
      parseDcapQuote(new Uint8Array(10));
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof EvidenceError);
      assert.equal(e.code, 'QUOTE_TRUNCATED');
      assert.equal(e.toJSON().code, 'QUOTE_TRUNCATED');
    }
  });
});
