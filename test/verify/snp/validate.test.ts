import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateSnp } from '../../../src/verify/snp/index.js';
import type { SnpClaims } from '../../../src/verify/types.js';
import { assertThrowsCode } from '../../support/assert_code.js';

const claims: SnpClaims = {
  measurement: 'ab'.repeat(48),
  hostData: '00'.repeat(32),
  reportData: '00'.repeat(64),
  chipId: '11'.repeat(64),
  reportedTcb: { bootloader: 10, tee: 0, snp: 23, microcode: 84 },
  guestSvn: 1,
  policy: '0x0000000000030000',
  vmpl: 0,
  debug: false,
  familyId: '00'.repeat(16),
  imageId: '00'.repeat(16),
  signingKey: 'vcek',
  product: 'Genoa',
};

test('matching expectations pass; absent expectations are not checked', () => {
  validateSnp(claims, {});
  validateSnp(claims, { minimumTcb: { bootloader: 10, snp: 23, microcode: 80, fmc: 9 }, allowedVmpls: [0, 1], measurements: ['AB'.repeat(48)], hostData: '00'.repeat(32), products: ['Genoa'] });
});

test('one incorrect field per case gives its code', () => {
  assertThrowsCode(() => validateSnp({ ...claims, debug: true }, {}), 'DEBUG_NOT_ALLOWED');
  validateSnp({ ...claims, debug: true }, { allowDebug: true });
  for (const k of ['bootloader', 'tee', 'snp', 'microcode'] as const) {
    assertThrowsCode(() => validateSnp(claims, { minimumTcb: { [k]: claims.reportedTcb[k] + 1 } }), 'TCB_BELOW_MINIMUM', k);
  }
  assertThrowsCode(() => validateSnp({ ...claims, reportedTcb: { ...claims.reportedTcb, fmc: 2 }, product: 'Turin' }, { minimumTcb: { fmc: 3 } }), 'TCB_BELOW_MINIMUM');
  assertThrowsCode(() => validateSnp({ ...claims, vmpl: 2 }, { allowedVmpls: [0] }), 'VMPL_NOT_ALLOWED');
  assertThrowsCode(() => validateSnp(claims, { measurements: ['cd'.repeat(48)] }), 'MEASUREMENT_MISMATCH');
  assertThrowsCode(() => validateSnp(claims, { measurements: [] }), 'MEASUREMENT_MISMATCH');
  assertThrowsCode(() => validateSnp(claims, { hostData: '01'.repeat(32) }), 'HOST_DATA_MISMATCH');
  assertThrowsCode(() => validateSnp(claims, { products: ['Milan', 'Turin'] }), 'PRODUCT_NOT_ALLOWED');
});

test('every mismatch is reported at once; the code is that of the first', () => {
  const e = assertThrowsCode(
    () => validateSnp({ ...claims, debug: true, vmpl: 3 }, { minimumTcb: { snp: 30, microcode: 100 }, allowedVmpls: [0], measurements: ['cd'.repeat(48)], products: ['Milan'] }),
    'DEBUG_NOT_ALLOWED',
  );
  const failures = e.detail!['failures'] as Array<{ field: string; code: string }>;
  assert.deepEqual(failures.map((f) => f.field), ['debug', 'reportedTcb.snp', 'reportedTcb.microcode', 'vmpl', 'measurement', 'product']);
  assert.deepEqual(failures.map((f) => f.code), ['DEBUG_NOT_ALLOWED', 'TCB_BELOW_MINIMUM', 'TCB_BELOW_MINIMUM', 'VMPL_NOT_ALLOWED', 'MEASUREMENT_MISMATCH', 'PRODUCT_NOT_ALLOWED']);
  assertThrowsCode(() => validateSnp(claims, { allowedVmpls: [1], minimumTcb: { tee: 1 } }), 'TCB_BELOW_MINIMUM');
});
