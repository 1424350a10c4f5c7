import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EvidenceError } from '../../../src/evidence/errors.js';
import { parseDcapQuote, serializeDcapQuote, type DcapQuote } from '../../../src/evidence/dcap/index.js';
import { HAVE_VECTORS, readVector, SKIP_NO_VECTORS } from '../../support/vectors.js';
import { arbQuote, fieldOffsets } from './fixtures.js';

/**
 * Properties: generated well-formed quotes round-trip; arbitrary and mutated bytes either
 * parse (and then round-trip) or throw EvidenceError, nothing else. numRuns stays modest so
 * the file runs in about a second; fast-check prints the seed of any failure to replay it.
 */

/** Parses; any exception other than EvidenceError fails the property. Returns the quote or undefined. */
function parseOrEvidenceError(bytes: Uint8Array, options?: Parameters<typeof parseDcapQuote>[1]): DcapQuote | undefined {
  try {
    return parseDcapQuote(bytes, options);
  } catch (e) {
    if (e instanceof EvidenceError) return undefined;
    throw e;
  }
}

/** When bytes parse, serializing must give them back exactly. */
function checkParsedRoundTrips(bytes: Uint8Array, options?: Parameters<typeof parseDcapQuote>[1]): boolean {
  const q = parseOrEvidenceError(bytes, options);
  if (q !== undefined) assert.deepEqual(serializeDcapQuote(q), bytes);
  return true;
}

describe('generated structurally valid quotes', () => {
  test('serialize -> parse -> serialize is the identity, and parse restores every field', () => {
    fc.assert(
      fc.property(arbQuote(), (q) => {
        const bytes = serializeDcapQuote(q);
        const parsed = parseDcapQuote(bytes);
        assert.deepEqual(serializeDcapQuote(parsed), bytes);
        assert.deepEqual(parsed.header, q.header);
        assert.deepEqual(parsed.body, q.body);
        assert.deepEqual(parsed.signatureData, q.signatureData);
        assert.equal(parsed.trailingZeroPadding, q.trailingZeroPadding);
        assert.deepEqual(parsed.signedBytes, bytes.subarray(0, fieldOffsets(q).sigLenAt));
      }),
      { numRuns: 400 },
    );
  });

  test('one byte edited in a length or type field of a generated quote: parses and round-trips, or EvidenceError', () => {
    const arb = arbQuote().chain((q) => {
      const o = fieldOffsets(q);
      const hot = [0, 2, 4, o.sigLenAt, o.authLenAt, o.innerTypeAt, o.innerTypeAt + 2, ...(o.outerTypeAt === undefined ? [] : [o.outerTypeAt, o.outerTypeAt + 2])];
      if (q.header.version === 5) hot.push(48, 50);
      return fc.record({
        q: fc.constant(q),
        at: fc.constantFrom(...hot).chain((base) => fc.integer({ min: base, max: base + 3 })),
        value: fc.integer({ min: 0, max: 255 }),
      });
    });
    fc.assert(
      fc.property(arb, ({ q, at, value }) => {
        const bytes = serializeDcapQuote(q).slice();
        bytes[at] = value;
        return checkParsedRoundTrips(bytes);
      }),
      { numRuns: 600 },
    );
  });
});

describe('arbitrary bytes', () => {
  test('random byte arrays never throw anything but EvidenceError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), (b) => checkParsedRoundTrips(b)), { numRuns: 500 });
  });

  test('random bytes behind a plausible header never throw anything but EvidenceError', () => {
    const header = fc.record({
      version: fc.constantFrom(3, 4, 5),
      tee: fc.constantFrom(0, 0x81),
      bodyType: fc.integer({ min: 0, max: 4 }),
      bodySize: fc.constantFrom(384, 584, 648, 0, 1000),
    });
    const arb = fc.tuple(header, fc.uint8Array({ minLength: 0, maxLength: 2500 })).map(([h, rest]) => {
      const b = new Uint8Array(54 + rest.length);
      b.set([h.version, 0, 2, 0, h.tee, 0, 0, 0]);
      if (h.version === 5) b.set([h.bodyType, 0, h.bodySize & 0xff, h.bodySize >>> 8, 0, 0], 48);
      b.set(rest, 54);
      return b;
    });
    fc.assert(fc.property(arb, (b) => checkParsedRoundTrips(b, { allowTrailingData: true })), { numRuns: 500 });
  });
});

describe('mutated real quotes', { skip: SKIP_NO_VECTORS }, () => {
  const ids = ['sgx/dcap-qvl-sample', 'sgx/oasis-eppid-parse-only', 'tdx/dcap-qvl-sample-v4', 'tdx/trustee-quote5-v5-parse-only', 'tdx/dcap-qvl-outdated-v5'];
  const quotes = HAVE_VECTORS ? ids.map((id) => readVector(id, 'quote.bin')) : [];
  // Structural fields (header, v5 descriptor, all length/type fields) get most of the edits:
  // a uniformly random offset almost always lands in the PEM chain.
  const hotOffsets = (raw: Uint8Array): number[] => {
    const o = fieldOffsets(parseDcapQuote(raw));
    const base = [0, 2, 4, 48, 50, o.sigLenAt, o.authLenAt, o.innerTypeAt, o.innerTypeAt + 2];
    if (o.outerTypeAt !== undefined) base.push(o.outerTypeAt, o.outerTypeAt + 2);
    return base.flatMap((b) => [b, b + 1, b + 2, b + 3]);
  };

  test('1-4 random byte edits, truncations and extensions: parse and round-trip, or EvidenceError', () => {
    const arb = fc.integer({ min: 0, max: quotes.length - 1 }).chain((i) => {
      const raw = quotes[i]!;
      const offset = fc.oneof(fc.integer({ min: 0, max: raw.length - 1 }), fc.constantFrom(...hotOffsets(raw)));
      return fc.record({
        i: fc.constant(i),
        edits: fc.array(fc.record({ at: offset, value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        cut: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: raw.length })),
        extra: fc.uint8Array({ maxLength: 8 }),
      });
    });
    fc.assert(
      fc.property(arb, ({ i, edits, cut, extra }) => {
        const raw = quotes[i]!;
        let b = raw.slice();
        for (const e of edits) b[e.at] = e.value;
        if (cut !== undefined) b = b.subarray(0, cut);
        if (extra.length > 0) b = new Uint8Array([...b, ...extra]);
        return checkParsedRoundTrips(b) && checkParsedRoundTrips(b, { allowTrailingData: true });
      }),
      { numRuns: 800 },
    );
  });
});
