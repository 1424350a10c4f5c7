import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchPackage, type WorkloadClaims } from '../../src/coordinator/package_match.js';
import { parseManifest } from '../../src/manifest/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const h = (b: string, n: number) => b.repeat(n);
const manifest = parseManifest(
  JSON.stringify({
    packages: {
      enclave: { sgx: { mrsigner: [h('11', 32)], productId: 3, minSecurityVersion: 2 } },
      debugEnclave: { sgx: { mrenclave: [h('22', 32)], debug: true, acceptedTcbStatuses: ['UpToDate', 'OutOfDate'] } },
      td: { tdx: { mrtd: [h('33', 48)], rtmr0: [h('44', 48)], minimumTeeTcbSvn: '0301' + '00'.repeat(14) } },
      vm: { snp: { measurements: [h('55', 48)], hostData: [h('66', 32)], minimumTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 }, vmpl: [0] } },
      sim: { simulated: { measurements: [h('77', 48)] } },
    },
    workloads: { w: { package: 'sim' } },
  }),
);
const pkg = (n: string) => manifest.packages[n]!;

const sgx = (over: Partial<Extract<WorkloadClaims, { tee: 'sgx' }>['claims']> = {}, status = 'UpToDate' as const): WorkloadClaims => ({
  tee: 'sgx',
  status,
  claims: { mrenclave: h('22', 32), mrsigner: h('11', 32), isvProdId: 3, isvSvn: 2, reportData: '', debug: false, fmspc: '', ...over },
});

test('SGX: signer + product + minimum SVN, debug only where the package allows it, TCB statuses', () => {
  matchPackage('enclave', pkg('enclave'), sgx());
  const e = assertThrowsCode(() => matchPackage('enclave', pkg('enclave'), sgx({ isvProdId: 4, isvSvn: 1, debug: true })), 'MEASUREMENT_MISMATCH');
  const fields = (e.detail!.failures as Array<{ field: string }>).map((f) => f.field);
  assert.deepEqual(fields, ['isvProdId', 'isvSvn', 'debug']);
  assertThrowsCode(() => matchPackage('enclave', pkg('enclave'), sgx({ debug: true })), 'DEBUG_NOT_ALLOWED');
  assertThrowsCode(() => matchPackage('enclave', pkg('enclave'), sgx({}, 'OutOfDate' as 'UpToDate')), 'TCB_STATUS_NOT_ACCEPTED');
  matchPackage('debugEnclave', pkg('debugEnclave'), sgx({ debug: true }, 'OutOfDate' as 'UpToDate'));
  assertThrowsCode(() => matchPackage('debugEnclave', pkg('debugEnclave'), sgx({ mrenclave: h('23', 32) })), 'MEASUREMENT_MISMATCH');
});

test('TDX: measurements, per-component minimum TEE TCB SVN, never debug', () => {
  const td = (over: Record<string, unknown> = {}): WorkloadClaims => ({
    tee: 'tdx',
    status: 'UpToDate',
    claims: {
      mrtd: h('33', 48), rtmr0: h('44', 48), rtmr1: '', rtmr2: '', rtmr3: '', mrConfigId: '', mrOwner: '', mrOwnerConfig: '', reportData: '',
      teeTcbSvn: '0302' + '00'.repeat(14), debug: false, fmspc: '', ...over,
    } as Extract<WorkloadClaims, { tee: 'tdx' }>['claims'],
  });
  matchPackage('td', pkg('td'), td());
  assertThrowsCode(() => matchPackage('td', pkg('td'), td({ rtmr0: h('45', 48) })), 'MEASUREMENT_MISMATCH');
  assertThrowsCode(() => matchPackage('td', pkg('td'), td({ teeTcbSvn: '0300' + '00'.repeat(14) })), 'TCB_BELOW_MINIMUM');
  assertThrowsCode(() => matchPackage('td', pkg('td'), td({ debug: true })), 'DEBUG_NOT_ALLOWED');
});

test('SNP: measurement, host data, minimum TCB and VMPL through validateSnp', () => {
  const vm = (over: Record<string, unknown> = {}): WorkloadClaims => ({
    tee: 'snp',
    status: 'UpToDate',
    claims: {
      measurement: h('55', 48), hostData: h('66', 32), reportData: '', chipId: '', reportedTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 },
      guestSvn: 0, policy: '0x30000', vmpl: 0, debug: false, familyId: '', imageId: '', signingKey: 'vcek', product: 'Milan', ...over,
    } as Extract<WorkloadClaims, { tee: 'snp' }>['claims'],
  });
  matchPackage('vm', pkg('vm'), vm());
  assertThrowsCode(() => matchPackage('vm', pkg('vm'), vm({ hostData: h('67', 32) })), 'MEASUREMENT_MISMATCH');
  assertThrowsCode(() => matchPackage('vm', pkg('vm'), vm({ reportedTcb: { bootloader: 2, tee: 0, snp: 8, microcode: 115 } })), 'TCB_BELOW_MINIMUM');
  assertThrowsCode(() => matchPackage('vm', pkg('vm'), vm({ vmpl: 2 })), 'VMPL_NOT_ALLOWED');
  assertThrowsCode(() => matchPackage('vm', pkg('vm'), vm({ debug: true })), 'DEBUG_NOT_ALLOWED');
});

test('evidence of another TEE never matches a package', () => {
  const simClaims: WorkloadClaims = { tee: 'simulated', claims: { measurement: h('77', 48), reportData: '', platformKeyFingerprint: '', simulated: true } };
  matchPackage('sim', pkg('sim'), simClaims);
  assertThrowsCode(() => matchPackage('enclave', pkg('enclave'), simClaims), 'MEASUREMENT_MISMATCH');
  assertThrowsCode(() => matchPackage('sim', pkg('sim'), sgx()), 'MEASUREMENT_MISMATCH');
});
