import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { kdsProvider, vcekQuery } from '../../src/collateral/kds_provider.js';
import { fetchSnpCollateral, productFromCpuid, snpCollateralPem } from '../../src/collateral/snp.js';
import { pemBlocks } from '../../src/common/pem.js';
import { parseHclReport, parseSnpReport } from '../../src/evidence/snp/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { SKIP_NO_VECTORS, readVector, readVectorText } from '../support/vectors.js';
import { recordingSleep, startFakeServer, type FakeServer, type Route } from './support/fake_server.js';
import { testPki } from './support/test_pki.js';

const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((s) => s.close())));
async function serve(routes: Record<string, Route>): Promise<FakeServer> {
  const s = await startFakeServer(routes);
  servers.push(s);
  return s;
}
const fast = { timeoutMs: 5000, ...recordingSleep() };
const pki = await testPki();

test('VCEK query: zero-padded 2-digit SPLs; Turin puts fmcSPL first', () => {
  assert.deepEqual(new URLSearchParams(vcekQuery('Milan', { bootloader: 2, tee: 0, snp: 5, microcode: 68 })).toString(), 'blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68');
  assert.deepEqual(
    new URLSearchParams(vcekQuery('Turin', { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 200 })).toString(),
    'fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=200',
  );
  assert.throws(() => vcekQuery('Turin', { bootloader: 2, tee: 3, snp: 4, microcode: 5 }), { code: 'COLLATERAL_REQUEST_INVALID' });
  assert.throws(() => vcekQuery('Milan', { bootloader: 256, tee: 0, snp: 0, microcode: 0 }), { code: 'COLLATERAL_REQUEST_INVALID' });
});

test('KDS serves VCEK, chain and CRL from the paths of the KDS spec', async () => {
  const hwid = 'ab'.repeat(64);
  const s = await serve({
    [`/vcek/v1/Genoa/${hwid}?blSPL=10&teeSPL=00&snpSPL=23&ucodeSPL=84`]: { body: pki.certDer },
    '/vcek/v1/Genoa/cert_chain': { body: pki.chainPem },
    '/vlek/v1/Genoa/cert_chain': { body: pki.chainPem },
    '/vcek/v1/Genoa/crl': { body: pki.crlDer },
    [`/vcek/v1/Turin/${'cd'.repeat(8)}?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=05`]: { body: pki.certPem },
  });
  const p = kdsProvider({ ...fast, baseUrl: s.url });
  const vek = await p.get({ kind: 'amdVek', product: 'Genoa', hwid: hwid.toUpperCase(), tcb: { bootloader: 10, tee: 0, snp: 23, microcode: 84 } });
  assert.deepEqual(vek.bytes, pki.certDer);
  assert.equal(vek.validUntil?.toISOString(), pki.certNotAfter.toISOString());
  const turin = await p.get({ kind: 'amdVek', product: 'Turin', hwid: 'cd'.repeat(8), tcb: { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 5 } });
  assert.deepEqual(turin.bytes, pki.certDer, 'a PEM answer is normalized to DER');
  assert.equal((await p.get({ kind: 'amdCertChain', product: 'Genoa', keyType: 'vcek' })).text, pki.chainPem);
  assert.equal((await p.get({ kind: 'amdCertChain', product: 'Genoa', keyType: 'vlek' })).text, pki.chainPem);
  const crl = await p.get({ kind: 'amdCrl', product: 'Genoa' });
  assert.equal(crl.validUntil?.toISOString(), pki.crlNextUpdate.toISOString());
});

test('KDS rejects bad requests before any I/O, and malformed answers', async () => {
  const s = await serve({ '/vcek/v1/Milan/cert_chain': { body: pki.certPem }, '/vcek/v1/Milan/crl': { body: 'nope' } });
  const p = kdsProvider({ ...fast, baseUrl: s.url });
  const tcb = { bootloader: 1, tee: 1, snp: 1, microcode: 1 };
  await assertRejectsCode(() => p.get({ kind: 'amdVek', product: 'Turin', hwid: 'ab'.repeat(64), tcb: { ...tcb, fmc: 1 } }), 'COLLATERAL_REQUEST_INVALID');
  await assertRejectsCode(() => p.get({ kind: 'amdVek', product: 'Milan', hwid: 'zz'.repeat(64), tcb }), 'COLLATERAL_REQUEST_INVALID');
  await assertRejectsCode(() => p.get({ kind: 'amdCrl', product: 'Naples' as 'Milan' }), 'COLLATERAL_REQUEST_INVALID');
  await assertRejectsCode(() => p.get({ kind: 'rootCaCrl' }), 'COLLATERAL_REQUEST_UNSUPPORTED');
  assert.equal(s.requests.length, 0);
  await assertRejectsCode(() => p.get({ kind: 'amdCertChain', product: 'Milan', keyType: 'vcek' }), 'COLLATERAL_RESPONSE_MALFORMED');
  await assertRejectsCode(() => p.get({ kind: 'amdCrl', product: 'Milan' }), 'COLLATERAL_RESPONSE_MALFORMED');
});

test('product from CPUID (report v3+): Milan, Genoa, Turin, unknown', () => {
  assert.equal(productFromCpuid({ family: 0x19, model: 0x01, stepping: 1 }), 'Milan');
  assert.equal(productFromCpuid({ family: 0x19, model: 0x11, stepping: 1 }), 'Genoa');
  assert.equal(productFromCpuid({ family: 0x1a, model: 0x02, stepping: 0 }), 'Turin');
  assert.equal(productFromCpuid({ family: 0x17, model: 0x31, stepping: 0 }), undefined);
  assert.equal(productFromCpuid(undefined), undefined);
});

/** KDS routes for a vector's report: VCEK at its chip ID + reported TCB, the chain, a (generated) CRL. */
function kdsRoutesFor(caseId: string, product: string, chipIdHex: string, q: string, vek: Uint8Array, chainFile: string): Record<string, Route> {
  return {
    [`/vcek/v1/${product}/${chipIdHex}?${q}`]: { body: vek },
    [`/vcek/v1/${product}/cert_chain`]: { body: readVectorText(caseId, chainFile) },
    [`/vlek/v1/${product}/cert_chain`]: { body: readVectorText(caseId, chainFile) },
    [`/vcek/v1/${product}/crl`]: { body: pki.crlDer },
  };
}

test('fetchSnpCollateral: Milan v2 report (go-sev-guest) needs the product, then gets VCEK+chain+CRL', { skip: SKIP_NO_VECTORS }, async () => {
  const id = 'snp/go-sev-guest-milan';
  const report = parseSnpReport(readVector(id, 'report.bin'));
  const chip = Buffer.from(report.chipId).toString('hex');
  const s = await serve(kdsRoutesFor(id, 'Milan', chip, 'blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68', readVector(id, 'vcek.der'), 'ask_ark_milan.pem'));
  const p = kdsProvider({ ...fast, baseUrl: s.url });
  await assertRejectsCode(() => fetchSnpCollateral(report, p), 'COLLATERAL_SNP_PRODUCT_UNKNOWN');
  // a wrong product asks KDS for a Turin VCEK (8-byte hwid, Turin TCB layout) that it does not have
  await assertRejectsCode(() => fetchSnpCollateral(report, p, { product: 'Turin' }), 'COLLATERAL_NOT_FOUND');
  const c = await fetchSnpCollateral(report, p, { product: 'Milan' });
  assert.equal(c.signingKey, 'vcek');
  const blocks = pemBlocks(snpCollateralPem(c));
  assert.deepEqual(blocks.map((b) => b.label), ['CERTIFICATE', 'CERTIFICATE', 'CERTIFICATE', 'X509 CRL']);
  assert.deepEqual(blocks[0]!.der, readVector(id, 'vcek.der'));
  assert.equal(c.chainPem, readVectorText(id, 'ask_ark_milan.pem'));
});

test('fetchSnpCollateral: Genoa HCL report (CPUID says Genoa) and a VLEK report (chain only)', { skip: SKIP_NO_VECTORS }, async () => {
  const genoa = 'snp/azure-genoa-hcl';
  const report = parseSnpReport(parseHclReport(readVector(genoa, 'hcl-report.bin')).snpReportBytes);
  const chip = Buffer.from(report.chipId).toString('hex');
  const vcek = pemBlocks(readVectorText(genoa, 'vcek.pem'))[0]!.der;
  const s = await serve(kdsRoutesFor(genoa, 'Genoa', chip, 'blSPL=10&teeSPL=00&snpSPL=23&ucodeSPL=84', vcek, 'ask_ark_genoa.pem'));
  const c = await fetchSnpCollateral(report, kdsProvider({ ...fast, baseUrl: s.url }));
  assert.equal(c.product, 'Genoa');
  assert.deepEqual(pemBlocks(c.vekPem!)[0]!.der, vcek);
  await assertRejectsCode(() => fetchSnpCollateral(report, kdsProvider({ ...fast, baseUrl: s.url }), { product: 'Milan' }), 'COLLATERAL_REQUEST_INVALID');

  const vlekId = 'snp/trustee-vlek-milan';
  const s2 = await serve({ '/vlek/v1/Milan/cert_chain': { body: readVectorText('snp/go-sev-guest-milan', 'ask_ark_milan.pem') } });
  const v = await fetchSnpCollateral(readVector(vlekId, 'report.bin'), kdsProvider({ ...fast, baseUrl: s2.url }));
  assert.equal(v.signingKey, 'vlek');
  assert.equal(v.vekPem, undefined);
  assert.deepEqual(s2.requests, ['/vlek/v1/Milan/cert_chain']);
});

test('fetchSnpCollateral: a failing KDS fails the whole gathering with the first error', { skip: SKIP_NO_VECTORS }, async () => {
  const s = await serve({ '/vcek/v1/Milan/cert_chain': { status: 503 }, '/vcek/v1/Milan/crl': 'hang' });
  const p = kdsProvider({ ...fast, baseUrl: s.url, retries: 0 });
  const e = await assertRejectsCode(() => fetchSnpCollateral(readVector('snp/go-sev-guest-milan', 'report.bin'), p, { product: 'Milan' }), ['COLLATERAL_NOT_FOUND', 'COLLATERAL_HTTP_STATUS']);
  assert.match(String(e.detail?.url), /\/vcek\/v1\/Milan\//);
});
