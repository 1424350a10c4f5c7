import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { gatherDcapCollateral } from '../../src/collateral/gather.js';
import { pccsRootCaCrlUrl, pcsProvider } from '../../src/collateral/pcs_provider.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { SKIP_NO_VECTORS } from '../support/vectors.js';
import { recordingSleep, startFakeServer, type FakeServer } from './support/fake_server.js';
import { pcsVector } from './support/pcs_routes.js';
import { testPki } from './support/test_pki.js';

const TEST_CHAIN = (await testPki()).certPem;

const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((s) => s.close())));
async function serve(routes: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const s = await startFakeServer(routes);
  servers.push(s);
  return s;
}
const fast = { timeoutMs: 5000, ...recordingSleep() };

for (const caseId of ['tdx/go-tdx-guest-spr-v4', 'sgx/dcap-qvl-sample', 'tdx/dcap-qvl-sample-v4']) {
  test(`PCS round trip of ${caseId}: the fetched bundle equals the vector's bundle`, { skip: SKIP_NO_VECTORS }, async () => {
    const v = pcsVector(caseId);
    const s = await serve(v.routes);
    const provider = pcsProvider({ ...fast, baseUrl: s.url, rootCaCrlUrl: `${s.url}/IntelSGXRootCA.der` });
    const bundle = await gatherDcapCollateral(provider, { tee: v.tee, fmspc: v.fmspc, ca: v.ca });
    assert.deepEqual(bundle, { ...v.bundle, tcb_info_signature: v.bundle.tcb_info_signature.toLowerCase(), qe_identity_signature: v.bundle.qe_identity_signature.toLowerCase() });
  });
}

test('PCCS spelling: SGX-TCB-Info-Issuer-Chain header, base path prefix, hex root CA CRL', { skip: SKIP_NO_VECTORS }, async () => {
  const v = pcsVector('tdx/go-tdx-guest-spr-v4', { pccsHeaders: true });
  const routes = Object.fromEntries(Object.entries(v.routes).map(([k, r]) => [`/pccs${k}`, r]));
  const s = await serve(routes);
  const base = `${s.url}/pccs/`;
  const provider = pcsProvider({ ...fast, baseUrl: base, rootCaCrlUrl: pccsRootCaCrlUrl(base) });
  const bundle = await gatherDcapCollateral(provider, { tee: v.tee, fmspc: v.fmspc.toUpperCase(), ca: v.ca });
  assert.equal(bundle.tcb_info, v.bundle.tcb_info);
  assert.equal(bundle.root_ca_crl, v.bundle.root_ca_crl);
  assert.ok(s.requests.includes(`/pccs/tdx/certification/v4/tcb?fmspc=${v.fmspc}`), 'FMSPC is sent lowercase');
});

test('validUntil is the earliest nextUpdate / issuer-chain notAfter', { skip: SKIP_NO_VECTORS }, async () => {
  const v = pcsVector('tdx/go-tdx-guest-spr-v4');
  const s = await serve(v.routes);
  const provider = pcsProvider({ ...fast, baseUrl: s.url, rootCaCrlUrl: `${s.url}/IntelSGXRootCA.der` });
  const tcb = await provider.get({ kind: 'tcbInfo', tee: 'tdx', fmspc: v.fmspc });
  assert.equal(tcb.validUntil?.toISOString(), '2023-07-18T08:42:58.000Z');
  const qe = await provider.get({ kind: 'qeIdentity', tee: 'tdx' });
  assert.equal(qe.validUntil?.toISOString(), '2023-07-08T07:24:59.000Z');
  const crl = await provider.get({ kind: 'rootCaCrl' });
  assert.ok(crl.validUntil instanceof Date && !Number.isNaN(crl.validUntil.getTime()));
});

test('the signed text is cut out exactly, whitespace and key order kept', async () => {
  const inner = '{ "id":"TDX", "fmspc" : "50806F000000","nextUpdate":"2030-01-01T00:00:00Z", "note":"a } and \\" {" }';
  const body = `{\n  "signature" : "${'ab'.repeat(64)}",\n  "tcbInfo" :  ${inner}\n}\n`;
  const s = await serve({ '/tdx/certification/v4/tcb?fmspc=50806f000000': { headers: { 'TCB-Info-Issuer-Chain': encodeURIComponent(TEST_CHAIN) }, body } });
  const item = await pcsProvider({ ...fast, baseUrl: s.url }).get({ kind: 'tcbInfo', tee: 'tdx', fmspc: '50806F000000' });
  assert.equal(item.text, inner);
  assert.equal(item.signature, 'ab'.repeat(64));
});

test('rejects a response without the issuer chain header', { skip: SKIP_NO_VECTORS }, async () => {
  const v = pcsVector('tdx/go-tdx-guest-spr-v4');
  const key = `/tdx/certification/v4/tcb?fmspc=${v.fmspc}`;
  const s = await serve({ [key]: { body: (v.routes[key] as { body: Uint8Array }).body } });
  await assertRejectsCode(() => pcsProvider({ ...fast, baseUrl: s.url }).get({ kind: 'tcbInfo', tee: 'tdx', fmspc: v.fmspc }), 'COLLATERAL_RESPONSE_MALFORMED');
});

test('rejects duplicate tcbInfo members, a missing signature and non-JSON bodies', async () => {
  const h = { 'TCB-Info-Issuer-Chain': encodeURIComponent(TEST_CHAIN) };
  const t = (fmspc: string) => `{"fmspc":"${fmspc}","nextUpdate":"2030-01-01T00:00:00Z"}`;
  const s = await serve({
    '/sgx/certification/v4/tcb?fmspc=000000000001': { headers: h, body: `{"tcbInfo":${t('000000000001')},"tcbInfo":${t('000000000001')},"signature":"${'00'.repeat(64)}"}` },
    '/sgx/certification/v4/tcb?fmspc=000000000002': { headers: h, body: `{"tcbInfo":${t('000000000002')}}` },
    '/sgx/certification/v4/tcb?fmspc=000000000003': { headers: h, body: 'not json' },
    '/sgx/certification/v4/tcb?fmspc=000000000004': { headers: h, body: `{"tcbInfo":${t('000000000004')},"signature":"abc"}` },
  });
  const p = pcsProvider({ ...fast, baseUrl: s.url });
  for (const n of ['1', '2', '3', '4']) {
    await assertRejectsCode(() => p.get({ kind: 'tcbInfo', tee: 'sgx', fmspc: `00000000000${n}` }), 'COLLATERAL_RESPONSE_MALFORMED', `case ${n}`);
  }
});

test('rejects TCB info for another FMSPC or TEE, and QE identity of the other TEE', async () => {
  const h = { 'TCB-Info-Issuer-Chain': encodeURIComponent(TEST_CHAIN) };
  const sig = '00'.repeat(64);
  const s = await serve({
    '/sgx/certification/v4/tcb?fmspc=000000000001': { headers: h, body: `{"tcbInfo":{"id":"SGX","fmspc":"000000000002","nextUpdate":"2030-01-01T00:00:00Z"},"signature":"${sig}"}` },
    '/tdx/certification/v4/tcb?fmspc=000000000001': { headers: h, body: `{"tcbInfo":{"id":"SGX","fmspc":"000000000001","nextUpdate":"2030-01-01T00:00:00Z"},"signature":"${sig}"}` },
    '/tdx/certification/v4/qe/identity': {
      headers: { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(TEST_CHAIN) },
      body: `{"enclaveIdentity":{"id":"QE","nextUpdate":"2030-01-01T00:00:00Z"},"signature":"${sig}"}`,
    },
  });
  const p = pcsProvider({ ...fast, baseUrl: s.url });
  await assertRejectsCode(() => p.get({ kind: 'tcbInfo', tee: 'sgx', fmspc: '000000000001' }), 'COLLATERAL_RESPONSE_MISMATCH');
  await assertRejectsCode(() => p.get({ kind: 'tcbInfo', tee: 'tdx', fmspc: '000000000001' }), 'COLLATERAL_RESPONSE_MISMATCH');
  await assertRejectsCode(() => p.get({ kind: 'qeIdentity', tee: 'tdx' }), 'COLLATERAL_RESPONSE_MISMATCH');
});

test('rejects a CRL that is not DER, and invalid requests before any I/O', async () => {
  const s = await serve({ '/IntelSGXRootCA.der': { body: 'garbage!' } });
  const p = pcsProvider({ ...fast, baseUrl: s.url, rootCaCrlUrl: `${s.url}/IntelSGXRootCA.der` });
  await assertRejectsCode(() => p.get({ kind: 'rootCaCrl' }), 'COLLATERAL_RESPONSE_MALFORMED');
  const before = s.requests.length;
  await assertRejectsCode(() => p.get({ kind: 'tcbInfo', tee: 'sgx', fmspc: 'xyz' }), 'COLLATERAL_REQUEST_INVALID');
  await assertRejectsCode(() => p.get({ kind: 'amdCrl', product: 'Milan' }), 'COLLATERAL_REQUEST_UNSUPPORTED');
  assert.equal(s.requests.length, before);
  assert.throws(() => pcsProvider({ ...fast, baseUrl: 'ftp://example' }), { code: 'COLLATERAL_REQUEST_INVALID' });
});

