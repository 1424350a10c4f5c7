import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestHash, validateManifest, type Manifest } from '../../src/manifest/index.js';
import { checkProposalCurrent, classifyChange, proposalHash, proposalHashOf, requiredApprovals } from '../../src/governance/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const H = (b: string): string => b.repeat(32);

const BASE = {
  packages: {
    enclave: { sgx: { mrenclave: [H('11')], minSecurityVersion: 2 } },
    vm: { snp: { measurements: ['22'.repeat(48)], minimumTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 } } },
    td: { tdx: { mrtd: ['33'.repeat(48)], minimumTeeTcbSvn: '02'.repeat(16) } },
  },
  workloads: { api: { package: 'enclave' } },
};

const manifest = (edit: (m: any) => void = () => {}): Manifest => {
  const m = structuredClone(BASE) as any;
  edit(m);
  return validateManifest(m);
};
const CUR = manifest();

test('golden: proposal hash (DO NOT CHANGE)', () => {
  // Pins the labelled JCS form approvers sign: changing it invalidates every pending approval.
  assert.equal(proposalHashOf(H('ab'), H('cd')), 'd18af6a01e137dc27072e43323c15738c0187b71e75245984d21c9c3c6934abb');
  const next = manifest((m) => (m.packages.enclave.sgx.minSecurityVersion = 3));
  assert.equal(proposalHash({ previousManifestHash: manifestHash(CUR), manifestHash: manifestHash(next) }), proposalHashOf(manifestHash(CUR), manifestHash(next)));
  assert.notEqual(proposalHashOf(H('ab'), H('cd')), proposalHashOf(H('cd'), H('ab')));
  assertThrowsCode(() => proposalHashOf('AB'.repeat(32), H('cd')), 'GOVERNANCE_APPROVAL_MALFORMED');
  assertThrowsCode(() => proposalHashOf(H('ab'), 'cd'), 'GOVERNANCE_APPROVAL_MALFORMED');
});

test('stale and empty proposals are refused', () => {
  const next = manifest((m) => (m.workloads.web = { package: 'vm' }));
  checkProposalCurrent({ previousManifestHash: manifestHash(CUR), manifestHash: manifestHash(next) }, manifestHash(CUR));
  assertThrowsCode(() => checkProposalCurrent({ previousManifestHash: H('00'), manifestHash: manifestHash(next) }, manifestHash(CUR)), 'GOVERNANCE_PROPOSAL_STALE');
  assertThrowsCode(() => checkProposalCurrent({ previousManifestHash: manifestHash(CUR), manifestHash: manifestHash(CUR) }, manifestHash(CUR)), 'GOVERNANCE_PROPOSAL_EMPTY');
});

test('package security-version raises are package updates; everything else is a manifest update', () => {
  const pkg = (edit: (m: any) => void) => classifyChange(CUR, manifest(edit));
  assert.deepEqual(classifyChange(CUR, manifest()), { kind: 'none' });
  assert.deepEqual(pkg((m) => (m.packages.enclave.sgx.minSecurityVersion = 3)), { kind: 'package-update', packages: ['enclave'] });
  assert.deepEqual(pkg((m) => (m.packages.vm.snp.minimumTcb.microcode = 200)), { kind: 'package-update', packages: ['vm'] });
  assert.deepEqual(pkg((m) => (m.packages.vm.snp.minimumTcb.fmc = 1)), { kind: 'package-update', packages: ['vm'] });
  assert.deepEqual(pkg((m) => (m.packages.td.tdx.minimumTeeTcbSvn = '03' + '02'.repeat(15))), { kind: 'package-update', packages: ['td'] });
  assert.deepEqual(
    pkg((m) => {
      m.packages.enclave.sgx.minSecurityVersion = 9;
      m.packages.td.tdx.minimumTeeTcbSvn = '02'.repeat(15) + '05';
    }),
    { kind: 'package-update', packages: ['enclave', 'td'] },
  );
  const full: Array<[string, (m: any) => void]> = [
    ['lowered sgx', (m) => (m.packages.enclave.sgx.minSecurityVersion = 1)],
    ['removed minimum', (m) => delete m.packages.enclave.sgx.minSecurityVersion],
    ['mixed snp', (m) => Object.assign(m.packages.vm.snp.minimumTcb, { tee: 1, snp: 7 })],
    ['lowered tdx byte', (m) => (m.packages.td.tdx.minimumTeeTcbSvn = '03' + '01' + '02'.repeat(14))],
    ['new measurement', (m) => m.packages.enclave.sgx.mrenclave.push(H('44'))],
    ['new package', (m) => (m.packages.extra = { sgx: { mrenclave: [H('55')] } })],
    ['removed package', (m) => delete m.packages.td],
    ['workload change', (m) => (m.workloads.api.maxActivations = 2)],
    ['raise plus workload change', (m) => { m.packages.enclave.sgx.minSecurityVersion = 3; m.workloads.api.maxActivations = 2; }],
    ['tee swap', (m) => (m.packages.td = { snp: { measurements: ['66'.repeat(48)] } })],
  ];
  for (const [what, edit] of full) assert.equal(pkg(edit).kind, 'manifest-update', what);
  const approvals = { manifestUpdate: 3, packageUpdate: 1 };
  assert.equal(requiredApprovals(approvals, pkg((m) => (m.packages.enclave.sgx.minSecurityVersion = 3))), 1);
  assert.equal(requiredApprovals(approvals, pkg((m) => (m.workloads.api.maxActivations = 2))), 3);
});
