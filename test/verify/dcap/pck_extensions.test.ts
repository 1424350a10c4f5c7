import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pemBlocks } from '../../../src/common/pem.js';
import { pckChainPem } from '../../../src/evidence/dcap/index.js';
import { parsePckExtensions } from '../../../src/verify/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { buildFakeDcap, dname, makeCert, newKeys } from '../../support/fake_intel_pki.js';
import { SKIP_NO_VECTORS } from '../../support/vectors.js';
import { dcapFullCases, loadCase } from './helpers.js';

function leafDer(quote: Parameters<typeof pckChainPem>[0]): Uint8Array {
  return pemBlocks(Buffer.from(pckChainPem(quote)!).toString('latin1'))[0]!.der;
}

describe('parsePckExtensions', () => {
  it('matches the decoded PCK fields of every full vector', { skip: SKIP_NO_VECTORS }, () => {
    for (const c of dcapFullCases()) {
      const want = (c.decoded as { pck: { fmspc: string; pce_id: string; pcesvn: number; cpusvn: string; sgx_tcb_components: number[]; ppid: string; issuer_cn: string } }).pck;
      const got = parsePckExtensions(leafDer(loadCase(c).quote));
      assert.equal(got.fmspc, want.fmspc.toLowerCase(), c.id);
      assert.equal(got.pceId, want.pce_id.toLowerCase(), c.id);
      assert.equal(got.pcesvn, want.pcesvn, c.id);
      assert.equal(got.cpusvn, want.cpusvn, c.id);
      assert.deepEqual(got.sgxTcbComponents, want.sgx_tcb_components, c.id);
      assert.equal(got.ppid, want.ppid, c.id);
      assert.equal(got.caType, want.issuer_cn === 'Intel SGX PCK Processor CA' ? 'processor' : 'platform', c.id);
    }
  });
  it('reads the fake PKI leaf', () => {
    const e = parsePckExtensions(leafDer(buildFakeDcap().quote));
    assert.equal(e.fmspc, '00906ed50000');
    assert.equal(e.caType, 'platform');
    assert.equal(e.platformInstanceId, '11'.repeat(16));
    assert.equal(e.sgxTcbComponents.length, 16);
  });
  it('rejects a certificate without the SGX extension', () => {
    const k = newKeys();
    const der = makeCert({ serial: 5, issuer: dname('Intel SGX PCK Platform CA'), subject: dname('x'), notBefore: new Date(0), notAfter: new Date(1e12), publicKey: k.publicKey, signer: k.privateKey, ca: false });
    assertThrowsCode(() => parsePckExtensions(der), 'PCK_EXTENSION_INVALID');
  });
  it('rejects a certificate from another issuer and garbage bytes', () => {
    const k = newKeys();
    const der = makeCert({ serial: 5, issuer: dname('Some Other CA'), subject: dname('x'), notBefore: new Date(0), notAfter: new Date(1e12), publicKey: k.publicKey, signer: k.privateKey, ca: false });
    assertThrowsCode(() => parsePckExtensions(der), 'PCK_EXTENSION_INVALID');
    assertThrowsCode(() => parsePckExtensions(Uint8Array.of(0x30, 0x03, 0x02, 0x01)), 'PCK_EXTENSION_INVALID');
  });
});
