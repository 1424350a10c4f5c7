import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { extractSignedJson, topLevelSpans } from '../../src/collateral/signed_json.js';
import { CloisterError } from '../../src/common/errors.js';
import { assertThrowsCode } from '../support/assert_code.js';

test('property: the inner text comes back byte for byte, whatever the spacing and key order', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), fc.boolean(), fc.string(), (inner, indent, sigFirst, extraKey) => {
      const innerText = JSON.stringify({ fmspc: '00a067110000', v: inner }, null, indent);
      const sig = `"signature" :\t"${'0f'.repeat(64)}"`;
      const tcb = `"tcbInfo":${' '.repeat(indent)}${innerText}`;
      const extra = extraKey === 'tcbInfo' || extraKey === 'signature' ? '' : `,${JSON.stringify(extraKey)}:[1,{"a":"}"}]`;
      const body = `\n{ ${sigFirst ? `${sig}, ${tcb}` : `${tcb} ,${sig}`}${extra} }\n`;
      const out = extractSignedJson(body, 'tcbInfo', 'test');
      assert.equal(out.text, innerText);
      assert.equal(out.signature, '0f'.repeat(64));
    }),
    { numRuns: 200 },
  );
});

test('property: arbitrary strings either parse or throw a CloisterError, never anything else', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        topLevelSpans(s, 'test');
      } catch (e) {
        assert.ok(e instanceof CloisterError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test('rejects duplicate members, non-object inner values and a non-string signature', () => {
  assertThrowsCode(() => extractSignedJson('{"tcbInfo":{},"tcbInfo":{},"signature":"00"}', 'tcbInfo', 't'), 'COLLATERAL_RESPONSE_MALFORMED');
  assertThrowsCode(() => extractSignedJson('{"tcbInfo":[1],"signature":"00"}', 'tcbInfo', 't'), 'COLLATERAL_RESPONSE_MALFORMED');
  assertThrowsCode(() => extractSignedJson('{"tcbInfo":{},"signature":5}', 'tcbInfo', 't'), 'COLLATERAL_RESPONSE_MALFORMED');
  assertThrowsCode(() => extractSignedJson('[{"tcbInfo":{}}]', 'tcbInfo', 't'), 'COLLATERAL_RESPONSE_MALFORMED');
  assertThrowsCode(() => extractSignedJson('{"enclaveIdentity":{},"signature":"00"}', 'tcbInfo', 't'), 'COLLATERAL_RESPONSE_MALFORMED');
});
