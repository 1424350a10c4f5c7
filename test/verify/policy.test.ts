import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAcceptList, validateAcceptance } from '../../src/verify/policy.js';
import type { VerifiedEvidence } from '../../src/verify/types.js';
import { assertThrowsCode } from '../support/assert_code.js';

const v: VerifiedEvidence = {
  tee: 'tdx',
  status: 'OutOfDate',
  advisoryIds: ['INTEL-SA-00001'],
  warnings: [],
  claims: {
    mrtd: '00', rtmr0: '00', rtmr1: '00', rtmr2: '00', rtmr3: '00', mrConfigId: '00', mrOwner: '00', mrOwnerConfig: '00',
    reportData: '00', teeTcbSvn: '00', debug: true, fmspc: '00',
  },
};

test('accept lists parse case-insensitively; unknown names and empty lists are errors', () => {
  assert.deepEqual(parseAcceptList('uptodate, OutOfDate'), ['UpToDate', 'OutOfDate']);
  assert.equal(parseAcceptList('any'), 'any');
  assert.throws(() => parseAcceptList('UpToDate,Fine'), RangeError);
  assert.throws(() => parseAcceptList(' , '), RangeError);
});

test('debug and status failures are all reported, first code wins', () => {
  const e = assertThrowsCode(() => validateAcceptance(v, { accept: ['UpToDate'], allowDebug: false }), 'DEBUG_NOT_ALLOWED');
  assert.equal((e.detail?.failures as unknown[]).length, 2);
  assertThrowsCode(() => validateAcceptance(v, { accept: ['UpToDate'], allowDebug: true }), 'TCB_STATUS_NOT_ACCEPTED');
  validateAcceptance(v, { accept: 'any', allowDebug: true });
  validateAcceptance(v, { accept: ['OutOfDate'], allowDebug: true });
});
