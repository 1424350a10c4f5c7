import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convergeStatus } from '../../../src/verify/dcap/index.js';
import { unionAdvisories } from '../../../src/verify/dcap/tcb_status.js';
import type { TcbStatus } from '../../../src/verify/types.js';

/** Expected merges: dcap-qvl src/tcb_info.rs tests, Intel QVL convergeTcbStatusWith{Qe,TdxModule}Status. */
const TABLE: ReadonlyArray<[TcbStatus, TcbStatus, TcbStatus]> = [
  ['UpToDate', 'UpToDate', 'UpToDate'],
  ['SWHardeningNeeded', 'UpToDate', 'SWHardeningNeeded'],
  ['ConfigurationNeeded', 'UpToDate', 'ConfigurationNeeded'],
  ['OutOfDateConfigurationNeeded', 'UpToDate', 'OutOfDateConfigurationNeeded'],
  ['Revoked', 'UpToDate', 'Revoked'],
  ['UpToDate', 'OutOfDate', 'OutOfDate'],
  ['SWHardeningNeeded', 'OutOfDate', 'OutOfDate'],
  ['ConfigurationNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
  ['ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
  ['OutOfDate', 'OutOfDate', 'OutOfDate'],
  ['OutOfDateConfigurationNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
  ['Revoked', 'OutOfDate', 'Revoked'],
  ['UpToDate', 'Revoked', 'Revoked'],
  ['ConfigurationNeeded', 'Revoked', 'Revoked'],
];

describe('TCB status convergence', () => {
  for (const [platform, component, want] of TABLE) {
    it(`${platform} + ${component} -> ${want}`, () => assert.equal(convergeStatus(platform, component), want));
  }
  it('advisory IDs are a union in first-seen order', () => {
    assert.deepEqual(unionAdvisories(['A', 'B'], [], ['B', 'C']), ['A', 'B', 'C']);
  });
});
