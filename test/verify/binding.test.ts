import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { activationReportData, checkReportData, coordinatorReportData, framedDigest } from '../../src/verify/binding.js';
import { assertThrowsCode } from '../support/assert_code.js';

test('binding digests are pinned (crypto-determinism regression: DO NOT CHANGE)', () => {
  const spki = new Uint8Array([1, 2, 3]);
  const nonce = new Uint8Array(32).fill(7);
  assert.equal(toHex(activationReportData(spki, nonce)), '50da95a2eaa2dafef3173920e66bf72380e0fec2bec4096513704e10f390f7af0e30353364a44c89ac21ce33b7b0e294d54cf6aa60ee748d6e7b94fec34dd724');
  assert.equal(toHex(activationReportData(spki, nonce)).length, 128);
  // length framing: moving a byte between fields changes the digest
  assert.notEqual(
    toHex(framedDigest('l', [new Uint8Array([1, 2]), new Uint8Array([3])])),
    toHex(framedDigest('l', [new Uint8Array([1]), new Uint8Array([2, 3])])),
  );
  // domain separation: the same fields under another label differ
  assert.notEqual(toHex(coordinatorReportData(spki, new Uint8Array(0), new Uint8Array(0), nonce)), toHex(activationReportData(spki, nonce)));
});

test('the coordinator binding commits to the audit head: another head, another digest', () => {
  const spki = new Uint8Array([1, 2, 3]);
  const nonce = new Uint8Array(32).fill(7);
  const mh = new Uint8Array(32).fill(1);
  const a = coordinatorReportData(spki, mh, new Uint8Array(63).fill(2), nonce);
  assert.notEqual(toHex(a), toHex(coordinatorReportData(spki, mh, new Uint8Array(63).fill(3), nonce)));
  // the head cannot be moved into the manifest-hash field
  assert.notEqual(toHex(a), toHex(coordinatorReportData(spki, new Uint8Array([...mh, ...new Uint8Array(63).fill(2)]), new Uint8Array(0), nonce)));
});

test('checkReportData accepts only the exact 64 bytes', () => {
  const want = activationReportData(new Uint8Array([9]), new Uint8Array(32));
  checkReportData(toHex(want), want, 'activation');
  const other = want.slice();
  other[63] = other[63]! ^ 1;
  assertThrowsCode(() => checkReportData(toHex(other), want, 'activation'), 'REPORT_DATA_MISMATCH');
  assertThrowsCode(() => checkReportData(toHex(want.subarray(0, 32)), want, 'activation'), 'REPORT_DATA_MISMATCH');
  assertThrowsCode(() => checkReportData('zz', want, 'activation'), 'REPORT_DATA_MISMATCH');
});
