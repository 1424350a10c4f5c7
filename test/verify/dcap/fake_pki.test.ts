import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDcapVerifier, prepareCollateral, verifyDcapQuote } from '../../../src/verify/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { buildFakeDcap, FAKE_NOW, type FakeOptions } from '../../support/fake_intel_pki.js';

/** Cases no real vector covers, on our own Intel-shaped PKI (test/support/fake_intel_pki.ts). */
const DAY = 86_400_000;

function run(o: FakeOptions, ctx: { requireCrls?: boolean; now?: Date; trustOurRoot?: boolean } = {}) {
  const f = buildFakeDcap(o);
  return verifyDcapQuote(f.quote, f.bundle, {
    now: ctx.now ?? f.now,
    requireCrls: ctx.requireCrls ?? true,
    ...(ctx.trustOurRoot === false ? {} : { trustRoots: [f.root] }),
  });
}

describe('fake Intel PKI: baseline', () => {
  for (const tee of ['sgx', 'tdx'] as const) {
    it(`${tee}: a well-formed quote verifies UpToDate with no warnings`, () => {
      const r = run({ tee });
      assert.equal(r.tee, tee);
      assert.equal(r.status, 'UpToDate');
      assert.deepEqual(r.warnings, []);
      assert.equal(r.claims.fmspc, '00906ed50000');
    });
  }
});

describe('fake Intel PKI: CRLs', () => {
  it('expired PCK CRL -> CRL_EXPIRED', () => {
    assertThrowsCode(() => run({ pckCrl: { thisUpdate: new Date(FAKE_NOW.getTime() - 40 * DAY), nextUpdate: new Date(FAKE_NOW.getTime() - DAY) } }), 'CRL_EXPIRED');
  });
  it('PCK CRL not yet valid -> CRL_EXPIRED', () => {
    assertThrowsCode(() => run({ pckCrl: { thisUpdate: new Date(FAKE_NOW.getTime() + DAY), nextUpdate: new Date(FAKE_NOW.getTime() + 30 * DAY) } }), 'CRL_EXPIRED');
  });
  it('expired root CA CRL -> CRL_EXPIRED', () => {
    assertThrowsCode(() => run({ rootCrl: { thisUpdate: new Date(FAKE_NOW.getTime() - 40 * DAY), nextUpdate: new Date(FAKE_NOW.getTime() - DAY) } }), 'CRL_EXPIRED');
  });
  it('revoked PCK leaf -> CRL_REVOKED', () => {
    assertThrowsCode(() => run({ pckCrl: { revokeLeaf: true } }), 'CRL_REVOKED');
  });
  it('revoked PCK CA (intermediate) -> CRL_REVOKED', () => {
    assertThrowsCode(() => run({ rootCrl: { revokePckCa: true } }), 'CRL_REVOKED');
  });
  it('missing CRLs with requireCrls: true -> CRL_MISSING', () => {
    assertThrowsCode(() => run({ omitCrls: true }, { requireCrls: true }), 'CRL_MISSING');
  });
  it('missing CRLs with requireCrls: false -> verifies with "CRL check skipped" warnings', () => {
    const r = run({ omitCrls: true }, { requireCrls: false });
    assert.equal(r.status, 'UpToDate');
    assert.ok(r.warnings.length >= 2 && r.warnings.every((w) => w.startsWith('CRL check skipped')));
  });
  it('present CRLs are checked even with requireCrls: false', () => {
    assertThrowsCode(() => run({ pckCrl: { revokeLeaf: true } }, { requireCrls: false }), 'CRL_REVOKED');
  });
  it('a PCK CRL issued by another CA -> CRL_INVALID', () => {
    const f = buildFakeDcap();
    const other = buildFakeDcap();
    // the root CA CRL as PCK CRL: right signature for the root, wrong issuer for the PCK CA
    assertThrowsCode(() => verifyDcapQuote(f.quote, { ...f.bundle, pck_crl: other.bundle.root_ca_crl }, { now: f.now, trustRoots: [f.root], requireCrls: true }), 'CRL_INVALID');
  });
});

describe('fake Intel PKI: collateral', () => {
  it('wrong FMSPC in TCB info -> TCB_INFO_MISMATCH', () => {
    assertThrowsCode(() => run({ tcbInfo: (t) => ({ ...t, fmspc: '00906ed50001' }) }), 'TCB_INFO_MISMATCH');
  });
  it('wrong PCE ID in TCB info -> TCB_INFO_MISMATCH', () => {
    assertThrowsCode(() => run({ tcbInfo: (t) => ({ ...t, pceId: '0001' }) }), 'TCB_INFO_MISMATCH');
  });
  it('SGX TCB info for a TDX quote -> TCB_INFO_MISMATCH', () => {
    const sgx = buildFakeDcap({ tee: 'sgx' });
    const tdx = buildFakeDcap({ tee: 'tdx' });
    assertThrowsCode(
      () => verifyDcapQuote(tdx.quote, { ...tdx.bundle, tcb_info: sgx.bundle.tcb_info, tcb_info_signature: sgx.bundle.tcb_info_signature }, { now: tdx.now, trustRoots: [tdx.root], requireCrls: true }),
      'TCB_INFO_MISMATCH',
    );
  });
  it('TCB info expired -> TCB_INFO_EXPIRED', () => {
    assertThrowsCode(() => run({ tcbInfo: (t) => ({ ...t, nextUpdate: '2025-01-14T00:00:00Z' }) }), 'TCB_INFO_EXPIRED');
  });
  it('QE identity expired -> QE_IDENTITY_EXPIRED', () => {
    assertThrowsCode(() => run({ qeIdentity: (q) => ({ ...q, nextUpdate: '2025-01-14T00:00:00Z' }) }), 'QE_IDENTITY_EXPIRED');
  });
  it('TCB info signed by another key -> TCB_INFO_SIGNATURE_INVALID', () => {
    assertThrowsCode(() => run({ tcbInfoSignedByOtherKey: true }), 'TCB_INFO_SIGNATURE_INVALID');
  });
  it('malformed TCB info (signed, but an unknown status) -> TCB_INFO_INVALID', () => {
    assertThrowsCode(() => run({ tcbInfo: (t) => ({ ...t, tcbLevels: [{ ...(t.tcbLevels as object[])[0]!, tcbStatus: 'Fine' }] }) }), 'TCB_INFO_INVALID');
  });
  it('no collateral -> COLLATERAL_MISSING', () => {
    const f = buildFakeDcap();
    assertThrowsCode(() => verifyDcapQuote(f.quote, undefined, { now: f.now, trustRoots: [f.root], requireCrls: true }), 'COLLATERAL_MISSING');
  });
});

describe('fake Intel PKI: trust', () => {
  it('our root is not trusted unless passed explicitly -> PCK_CHAIN_INVALID', () => {
    const f = buildFakeDcap();
    assertThrowsCode(() => createDcapVerifier().verify(f.quote, prepareCollateral(f.bundle, { trustRoots: [f.root] }), { now: f.now, requireCrls: true }), 'PCK_CHAIN_INVALID');
  });
  it('collateral is not trusted under the default (Intel) root -> TCB_INFO_SIGNATURE_INVALID', () => {
    assertThrowsCode(() => run({}, { trustOurRoot: false }), 'TCB_INFO_SIGNATURE_INVALID');
  });
  it('PCK certificate expired -> PCK_CERT_EXPIRED', () => {
    assertThrowsCode(() => run({}, { now: new Date('2030-01-02T00:00:00Z') }), 'PCK_CERT_EXPIRED');
  });
});

describe('fake Intel PKI: QE identity and TCB levels', () => {
  it('QE MRSIGNER mismatch -> QE_IDENTITY_MISMATCH', () => {
    assertThrowsCode(() => run({ qeIdentity: (q) => ({ ...q, mrsigner: '00'.repeat(32) }) }), 'QE_IDENTITY_MISMATCH');
  });
  it('QE ISVPRODID mismatch -> QE_IDENTITY_MISMATCH', () => {
    assertThrowsCode(() => run({ qeIdentity: (q) => ({ ...q, isvprodid: 9 }) }), 'QE_IDENTITY_MISMATCH');
  });
  it('QE ISVSVN below all levels -> QE_TCB_LEVEL_NOT_FOUND', () => {
    assertThrowsCode(() => run({ qeIsvSvn: 5 }), 'QE_TCB_LEVEL_NOT_FOUND');
  });
  it('QE OutOfDate merges into the platform status with its advisories', () => {
    const r = run({ qeIsvSvn: 7 });
    assert.equal(r.status, 'OutOfDate');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00999']);
  });
  it('a lower platform TCB picks the matching level and its advisories', () => {
    const r = run({ pck: { pcesvn: 12 } });
    assert.equal(r.status, 'SWHardeningNeeded');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00615']);
  });
  it('a platform below every level -> TCB_LEVEL_NOT_FOUND', () => {
    assertThrowsCode(() => run({ pck: { pcesvn: 5 } }), 'TCB_LEVEL_NOT_FOUND');
  });
  it('wrong FMSPC in the PCK certificate (TCB info for another platform) -> TCB_INFO_MISMATCH', () => {
    assertThrowsCode(() => run({ pck: { fmspc: '112233445566' } }), 'TCB_INFO_MISMATCH');
  });
});

describe('fake Intel PKI: TDX module', () => {
  it('MRSIGNERSEAM not the module identity one -> TDX_MODULE_IDENTITY_NOT_FOUND', () => {
    assertThrowsCode(() => run({ tee: 'tdx', mrSignerSeam: new Uint8Array(48).fill(1) }), 'TDX_MODULE_IDENTITY_NOT_FOUND');
  });
  it('module version without an identity (TDX_02) -> TDX_MODULE_IDENTITY_NOT_FOUND', () => {
    assertThrowsCode(() => run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([3, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }), 'TDX_MODULE_IDENTITY_NOT_FOUND');
  });
  it('module ISVSVN below every identity level -> TDX_MODULE_IDENTITY_NOT_FOUND', () => {
    assertThrowsCode(() => run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }), 'TDX_MODULE_IDENTITY_NOT_FOUND');
  });
  it('module OutOfDate (ISVSVN 2) makes the merged status OutOfDate with the module advisory', () => {
    const r = run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) });
    assert.equal(r.status, 'OutOfDate');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-01000']);
  });
  it('module version > 0: TDX components 0 and 1 are not compared (Intel QVL isTdxTcbHigherOrEqual)', () => {
    // TDX level wants components [3,1,...]; the module identity (isvsvn >= 3) decides index 0 instead.
    const r = run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([5, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), tcbInfo: (t) => bumpTdxComponent0(t) });
    assert.equal(r.status, 'UpToDate');
  });
  it('module version 0: all 16 TDX components are compared and tdxModule must match', () => {
    assertThrowsCode(() => run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }), 'TCB_LEVEL_NOT_FOUND');
    assertThrowsCode(() => run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), mrSignerSeam: new Uint8Array(48).fill(1) }), 'TDX_MODULE_IDENTITY_NOT_FOUND');
  });
  it('TDX components beyond the module are compared -> TCB level falls through to a lower one', () => {
    const r = run({ tee: 'tdx', teeTcbSvn: Uint8Array.from([3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) });
    assert.equal(r.status, 'SWHardeningNeeded');
  });
});

/** Raises TDX component 0 of every level to 200: only a verifier that skips it (module v>0) still matches. */
function bumpTdxComponent0(t: Record<string, unknown>): Record<string, unknown> {
  const levels = (t.tcbLevels as Array<{ tcb: { tdxtcbcomponents: Array<{ svn: number }> } }>).map((l) => ({
    ...l,
    tcb: { ...l.tcb, tdxtcbcomponents: l.tcb.tdxtcbcomponents.map((c, i) => (i === 0 ? { svn: 200 } : c)) },
  }));
  return { ...t, tcbLevels: levels };
}

describe('fake Intel PKI: caching verifier', () => {
  it('a cached chain still gets its validity and CRL status checked per call', () => {
    const f = buildFakeDcap();
    const revoked = buildFakeDcap({ pckCrl: { revokeLeaf: true } });
    const v = createDcapVerifier({ trustRoots: [f.root] });
    const p = prepareCollateral(f.bundle, { trustRoots: [f.root] });
    assert.equal(v.verify(f.quote, p, { now: f.now, requireCrls: true }).status, 'UpToDate');
    assert.equal(v.verify(f.quote, p, { now: f.now, requireCrls: true }).status, 'UpToDate');
    assertThrowsCode(() => v.verify(f.quote, p, { now: new Date('2030-01-02T00:00:00Z'), requireCrls: true }), 'PCK_CERT_EXPIRED');
    // same quote (same chain PEM, cached), a CRL that now lists the leaf
    const withRevocation = prepareCollateral({ ...f.bundle, pck_crl: revoked.bundle.pck_crl }, { trustRoots: [f.root] });
    assertThrowsCode(() => v.verify(f.quote, withRevocation, { now: f.now, requireCrls: true }), 'CRL_REVOKED');
  });
  it('collateral prepared under a root the verifier does not trust -> UNTRUSTED_COLLATERAL_ROOT', () => {
    const f = buildFakeDcap();
    const g = buildFakeDcap({ freshRoot: true }); // a different root certificate (fresh signature) with the same shape
    const v = createDcapVerifier({ trustRoots: [f.root] });
    assertThrowsCode(() => v.verify(f.quote, prepareCollateral(g.bundle, { trustRoots: [g.root] }), { now: f.now, requireCrls: false }), 'UNTRUSTED_COLLATERAL_ROOT');
  });
});
