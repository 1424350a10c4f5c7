import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCollateralBundle, parseCrl, parseQeIdentity, parseTcbInfo } from '../../../src/verify/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { buildFakeDcap, pem } from '../../support/fake_intel_pki.js';
import { SKIP_NO_VECTORS } from '../../support/vectors.js';
import { dcapFullCases, loadCase } from './helpers.js';

describe('parseCollateralBundle', () => {
  const good = buildFakeDcap().bundle;
  it('accepts JSON text and objects, with null or missing CRLs', () => {
    assert.deepEqual(parseCollateralBundle(JSON.stringify(good)), good);
    const { pck_crl: _a, root_ca_crl: _b, pck_crl_issuer_chain: _c, ...rest } = good;
    const b = parseCollateralBundle(rest);
    assert.equal(b.pck_crl, null);
    assert.equal(parseCollateralBundle({ ...good, root_ca_crl: null }).root_ca_crl, null);
  });
  it('reads every vector bundle (dcap-qvl collateral.json and collateral.normalized.json)', { skip: SKIP_NO_VECTORS }, () => {
    for (const c of dcapFullCases()) assert.ok(loadCase(c).bundle.tcb_info.startsWith('{'), c.id);
  });
  it('rejects malformed input with COLLATERAL_INVALID', () => {
    assertThrowsCode(() => parseCollateralBundle('{not json'), 'COLLATERAL_INVALID');
    assertThrowsCode(() => parseCollateralBundle(42), 'COLLATERAL_INVALID');
    assertThrowsCode(() => parseCollateralBundle({ ...good, tcb_info: 7 }), 'COLLATERAL_INVALID');
    assertThrowsCode(() => parseCollateralBundle({ ...good, pck_crl: '' }), 'COLLATERAL_INVALID');
  });
  it('rejects a bundle without TCB info or QE identity with COLLATERAL_MISSING', () => {
    assertThrowsCode(() => parseCollateralBundle({ ...good, tcb_info: null }), 'COLLATERAL_MISSING');
    const { qe_identity_signature: _q, ...rest } = good;
    assertThrowsCode(() => parseCollateralBundle(rest), 'COLLATERAL_MISSING');
  });
});

describe('parseCrl', () => {
  const hex = buildFakeDcap().bundle.pck_crl!;
  const der = new Uint8Array(Buffer.from(hex, 'hex'));
  it('reads hex DER, DER bytes and PEM to the same CRL', () => {
    const a = parseCrl(hex, 'crl');
    const b = parseCrl(der, 'crl');
    const c = parseCrl(pem(der, 'X509 CRL'), 'crl');
    assert.deepEqual([...a.revoked], ['07']);
    assert.deepEqual(a.revoked, b.revoked);
    assert.equal(a.nextUpdate.getTime(), c.nextUpdate.getTime());
  });
  it('rejects garbage with CRL_INVALID', () => {
    assertThrowsCode(() => parseCrl('zz', 'crl'), 'CRL_INVALID');
    assertThrowsCode(() => parseCrl(der.subarray(0, der.length - 1), 'crl'), 'CRL_INVALID');
    assertThrowsCode(() => parseCrl(pem(der, 'CERTIFICATE'), 'crl'), 'CRL_INVALID');
  });
});

describe('parseTcbInfo / parseQeIdentity', () => {
  it('reads TCB info v2 (sgxtcbcompNNsvn fields)', () => {
    const tcb: Record<string, number> = { pcesvn: 10 };
    for (let i = 1; i <= 16; i++) tcb[`sgxtcbcomp${String(i).padStart(2, '0')}svn`] = i;
    const t = parseTcbInfo(JSON.stringify({ version: 2, issueDate: '2020-01-01T00:00:00Z', nextUpdate: '2020-02-01T00:00:00Z', fmspc: '00906ED50000', pceId: '0000', tcbType: 0, tcbEvaluationDataNumber: 5, tcbLevels: [{ tcb, tcbDate: '2019-01-01T00:00:00Z', tcbStatus: 'UpToDate' }] }));
    assert.equal(t.id, 'SGX');
    assert.equal(t.fmspc, '00906ed50000');
    assert.deepEqual(t.tcbLevels[0]!.sgxComponents, Array.from({ length: 16 }, (_, i) => i + 1));
  });
  it('rejects unsupported versions, ids and shapes', () => {
    assertThrowsCode(() => parseTcbInfo('{"version":4}'), 'TCB_INFO_INVALID');
    assertThrowsCode(() => parseTcbInfo('[]'), 'TCB_INFO_INVALID');
    const t = JSON.parse(buildFakeDcap({ tee: 'tdx' }).bundle.tcb_info) as Record<string, unknown>;
    assertThrowsCode(() => parseTcbInfo(JSON.stringify({ ...t, id: 'SEV' })), 'TCB_INFO_INVALID');
    assertThrowsCode(() => parseTcbInfo(JSON.stringify({ ...t, tdxModule: undefined })), 'TCB_INFO_INVALID');
    const q = JSON.parse(buildFakeDcap().bundle.qe_identity) as Record<string, unknown>;
    assert.equal(parseQeIdentity(JSON.stringify(q)).isvprodid, 1);
    assertThrowsCode(() => parseQeIdentity(JSON.stringify({ ...q, mrsigner: 'abcd' })), 'QE_IDENTITY_INVALID');
    assertThrowsCode(() => parseQeIdentity('nope'), 'QE_IDENTITY_INVALID');
  });
});
