import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCollateralBundle, parseCrl, parseQeIdentity, parseTcbInfo } from '../../../src/verify/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { buildFakeDcap, makeCrl, newKeys, dname } from '../../support/fake_intel_pki.js';

/**
 * The hand-written shape checks of TCB info / QE identity / bundle (json_shape.ts) keep the
 * rules of the zod schemas they replaced: each mutation below was rejected before and must
 * still be rejected with the same code; unknown keys are still ignored.
 */
type J = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const tdxTcb = JSON.parse(buildFakeDcap({ tee: 'tdx' }).bundle.tcb_info) as J;
const sgxTcb = JSON.parse(buildFakeDcap().bundle.tcb_info) as J;
const qeId = JSON.parse(buildFakeDcap().bundle.qe_identity) as J;

function v2Tcb(): J {
  const tcb: J = { pcesvn: 10 };
  for (let i = 1; i <= 16; i++) tcb[`sgxtcbcomp${String(i).padStart(2, '0')}svn`] = i;
  return { version: 2, issueDate: '2020-01-01T00:00:00Z', nextUpdate: '2020-02-01T00:00:00Z', fmspc: '00906ED50000', pceId: '0000', tcbType: 0, tcbEvaluationDataNumber: 5, tcbLevels: [{ tcb, tcbDate: '2019-01-01T00:00:00Z', tcbStatus: 'UpToDate' }] };
}

/** Applies `edit` to a deep copy of `base`. */
function edited(base: J, edit: (t: any) => void): string {
  const t = clone(base);
  edit(t);
  return JSON.stringify(t);
}

describe('TCB info shape (hand-written checks)', () => {
  it('accepts the fake TDX and SGX TCB infos and a v2 one, ignoring unknown keys', () => {
    assert.equal(parseTcbInfo(JSON.stringify(tdxTcb)).id, 'TDX');
    assert.equal(parseTcbInfo(JSON.stringify(sgxTcb)).id, 'SGX');
    assert.equal(parseTcbInfo(JSON.stringify({ ...v2Tcb(), extra: [1, 2] })).version, 2);
    const t = parseTcbInfo(edited(tdxTcb, (x) => (x.tcbLevels[0].note = 'x')));
    assert.equal(t.tcbLevels[0]!.tdxComponents?.length, 16);
  });
  const mutations: Array<[string, J, (t: any) => void]> = [
    ['not an object', tdxTcb, (t) => (t.tcbLevels = 'x')],
    ['id unknown', tdxTcb, (t) => (t.id = 'SEV')],
    ['id missing in v3', tdxTcb, (t) => delete t.id],
    ['v2 id TDX', v2Tcb(), (t) => (t.id = 'TDX')],
    ['issueDate not a date', tdxTcb, (t) => (t.issueDate = 'yesterday')],
    ['nextUpdate a number', tdxTcb, (t) => (t.nextUpdate = 5)],
    ['fmspc 5 bytes', tdxTcb, (t) => (t.fmspc = '00906ed500')],
    ['fmspc not hex', tdxTcb, (t) => (t.fmspc = '00906ed5000g')],
    ['pceId missing', tdxTcb, (t) => delete t.pceId],
    ['tcbType fraction', tdxTcb, (t) => (t.tcbType = 0.5)],
    ['tcbEvaluationDataNumber string', tdxTcb, (t) => (t.tcbEvaluationDataNumber = '17')],
    ['no levels', tdxTcb, (t) => (t.tcbLevels = [])],
    ['level null', tdxTcb, (t) => (t.tcbLevels[0] = null)],
    ['svn 256', tdxTcb, (t) => (t.tcbLevels[0].tcb.sgxtcbcomponents[3].svn = 256)],
    ['svn negative', tdxTcb, (t) => (t.tcbLevels[0].tcb.sgxtcbcomponents[3].svn = -1)],
    ['15 sgx components', tdxTcb, (t) => t.tcbLevels[0].tcb.sgxtcbcomponents.pop()],
    ['17 tdx components', tdxTcb, (t) => t.tcbLevels[0].tcb.tdxtcbcomponents.push({ svn: 0 })],
    ['tdx components missing (TDX)', tdxTcb, (t) => delete t.tcbLevels[0].tcb.tdxtcbcomponents],
    ['pcesvn 65536', tdxTcb, (t) => (t.tcbLevels[0].tcb.pcesvn = 65536)],
    ['unknown status', tdxTcb, (t) => (t.tcbLevels[0].tcbStatus = 'Fine')],
    ['tcbDate bad', tdxTcb, (t) => (t.tcbLevels[0].tcbDate = 'soon')],
    ['advisoryIDs not strings', tdxTcb, (t) => (t.tcbLevels[0].advisoryIDs = [1])],
    ['advisoryIDs null', tdxTcb, (t) => (t.tcbLevels[0].advisoryIDs = null)],
    ['tdxModule missing (TDX)', tdxTcb, (t) => delete t.tdxModule],
    ['tdxModule mrsigner short', tdxTcb, (t) => (t.tdxModule.mrsigner = '00')],
    ['module identity no levels', tdxTcb, (t) => (t.tdxModuleIdentities[0].tcbLevels = [])],
    ['module identity isvsvn 256', tdxTcb, (t) => (t.tdxModuleIdentities[0].tcbLevels[0].tcb.isvsvn = 256)],
    ['module identity id number', tdxTcb, (t) => (t.tdxModuleIdentities[0].id = 1)],
    ['v2 component missing', v2Tcb(), (t) => delete t.tcbLevels[0].tcb.sgxtcbcomp16svn],
    ['v2 component 300', v2Tcb(), (t) => (t.tcbLevels[0].tcb.sgxtcbcomp01svn = 300)],
  ];
  for (const [name, base, edit] of mutations) {
    it(`rejects: ${name}`, () => {
      assertThrowsCode(() => parseTcbInfo(edited(base, edit)), 'TCB_INFO_INVALID');
    });
  }
  it('rejects non-objects and other versions', () => {
    for (const text of ['null', '[]', '"x"', '{"version":4}', '{"version":"3"}', '{']) assertThrowsCode(() => parseTcbInfo(text), 'TCB_INFO_INVALID', text);
  });
});

describe('QE identity shape (hand-written checks)', () => {
  it('accepts the fake QE identity with unknown keys', () => {
    assert.equal(parseQeIdentity(edited(qeId, (q) => (q.extra = { a: 1 }))).id, 'QE');
  });
  const mutations: Array<[string, (q: any) => void]> = [
    ['id unknown', (q) => (q.id = 'XE')],
    ['version 3', (q) => (q.version = 3)],
    ['issueDate bad', (q) => (q.issueDate = 'x')],
    ['miscselect 3 bytes', (q) => (q.miscselect = '000000')],
    ['attributesMask not hex', (q) => (q.attributesMask = 'z'.repeat(32))],
    ['mrsigner missing', (q) => delete q.mrsigner],
    ['isvprodid 65536', (q) => (q.isvprodid = 65536)],
    ['isvprodid fraction', (q) => (q.isvprodid = 1.5)],
    ['tcbEvaluationDataNumber null', (q) => (q.tcbEvaluationDataNumber = null)],
    ['no levels', (q) => (q.tcbLevels = [])],
    ['level isvsvn negative', (q) => (q.tcbLevels[0].tcb.isvsvn = -1)],
    ['level without tcb', (q) => delete q.tcbLevels[0].tcb],
    ['level status unknown', (q) => (q.tcbLevels[0].tcbStatus = 'Good')],
    ['level tcbDate missing', (q) => delete q.tcbLevels[0].tcbDate],
    ['advisoryIDs object', (q) => (q.tcbLevels[0].advisoryIDs = {})],
  ];
  for (const [name, edit] of mutations) {
    it(`rejects: ${name}`, () => {
      assertThrowsCode(() => parseQeIdentity(edited(qeId, edit)), 'QE_IDENTITY_INVALID');
    });
  }
});

describe('collateral bundle shape (hand-written checks)', () => {
  const good = buildFakeDcap().bundle as unknown as J;
  it('ignores unknown fields and keeps nulls', () => {
    const b = parseCollateralBundle({ ...good, version: 3, pck_crl: null });
    assert.equal(b.pck_crl, null);
    assert.equal(b.tcb_info, good['tcb_info']);
  });
  it('rejects arrays, null, numbers, empty strings and non-strings with COLLATERAL_INVALID', () => {
    for (const v of [[], null, 'null', '[]', '3']) assertThrowsCode(() => parseCollateralBundle(v), 'COLLATERAL_INVALID', JSON.stringify(v));
    for (const bad of [{ root_ca_crl: '' }, { qe_identity: 5 }, { pck_crl_issuer_chain: [] }, { tcb_info_signature: {} }, { pck_crl: false }]) {
      assertThrowsCode(() => parseCollateralBundle({ ...good, ...bad }), 'COLLATERAL_INVALID', JSON.stringify(bad));
    }
  });
});

describe('CRL revoked serials (read lazily)', () => {
  const k = newKeys();
  const issuer = dname('Test CA');
  const der = makeCrl({ issuer, thisUpdate: new Date('2025-01-01T00:00:00Z'), nextUpdate: new Date('2025-02-01T00:00:00Z'), revoked: [7, 0x80, 0x1234], signer: k.privateKey });
  it('finds listed serials by magnitude, before and after the index is built', () => {
    const crl = parseCrl(der, 'crl');
    for (let round = 0; round < 4; round++) {
      assert.equal(crl.lists(new Uint8Array([0x07])), true);
      assert.equal(crl.lists(new Uint8Array([0x80])), true, '0x80 is DER-encoded with a sign byte 00');
      assert.equal(crl.lists(new Uint8Array([0x12, 0x34])), true);
      assert.equal(crl.lists(new Uint8Array([0x08])), false);
      assert.equal(crl.lists(new Uint8Array([0x00, 0x07])), false, 'lookups take magnitudes');
    }
    assert.deepEqual([...parseCrl(der, 'crl').revoked].sort(), ['07', '1234', '80']);
  });
  it('rejects a revoked entry that is not a SEQUENCE starting with an INTEGER', () => {
    // Re-tag the first revoked entry's serial INTEGER (02 01 07) as an OCTET STRING.
    const bad = new Uint8Array(der);
    const at = Buffer.from(bad).indexOf(Buffer.from([0x02, 0x01, 0x07]));
    assert.ok(at > 0);
    bad[at] = 0x04;
    assertThrowsCode(() => parseCrl(bad, 'crl'), 'CRL_INVALID');
  });
});
