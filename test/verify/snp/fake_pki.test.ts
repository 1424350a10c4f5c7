import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSnpReport } from '../../../src/evidence/snp/index.js';
import { verifySnpReport } from '../../../src/verify/snp/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { FAKE_NOW, FAKE_NOT_AFTER, buildSnpCase, type SnpCaseOptions } from '../../support/fake_amd_pki.js';

/** Cases no real vector covers, on our own AMD-shaped PKI (trusted only through ctx.trustedArks). */
async function verifyCase(o: SnpCaseOptions, now = FAKE_NOW) {
  const c = await buildSnpCase(o);
  return () => verifySnpReport(parseSnpReport(c.report), c.certs, { now, trustedArks: c.trustedArks });
}

test('fake PKI happy paths: Milan, Genoa, Turin (fmc layout), VCEK and VLEK, report v2/v3/v5', async () => {
  for (const product of ['Milan', 'Genoa', 'Turin'] as const) {
    for (const signer of ['vcek', 'vlek'] as const) {
      for (const version of [2, 3, 5]) {
        const out = (await verifyCase({ product, signer, report: { version, ...(version === 5 ? { launchMitVector: 3n, currentMitVector: 1n } : {}) } }))();
        assert.equal(out.claims.product, product);
        assert.equal(out.claims.signingKey, signer);
        if (product === 'Turin') assert.deepEqual(out.claims.reportedTcb, { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 5 });
      }
    }
  }
});

test('the fake ARK is not trusted without the explicit option', async () => {
  const c = await buildSnpCase({});
  assertThrowsCode(() => verifySnpReport(parseSnpReport(c.report), c.certs, { now: FAKE_NOW }), 'ARK_NOT_TRUSTED');
  assertThrowsCode(() => verifySnpReport(parseSnpReport(c.report), c.certs.slice(0, 2), { now: FAKE_NOW }), 'ARK_NOT_TRUSTED');
});

test('VLEK without ASVK: the pinned AMD ASVK does not vouch for it', async () => {
  assertThrowsCode(await verifyCase({ signer: 'vlek', includeIntermediate: false }), 'VEK_CHAIN_INVALID');
});

test('a VCEK chained to another product line\'s ASK is rejected', async () => {
  // productName says Genoa, but the Milan ASK signed it (and the Milan chain is supplied)
  assertThrowsCode(await verifyCase({ product: 'Genoa', vek: { issuerProduct: 'Milan' } }), ['VEK_CHAIN_INVALID', 'SNP_PRODUCT_UNKNOWN', 'ARK_NOT_TRUSTED']);
  // productName omitted: the issuer names Milan, so the product is Milan; the Genoa TCB layout still binds
  const c = await buildSnpCase({ product: 'Genoa' });
  const milan = await buildSnpCase({ product: 'Milan' });
  assertThrowsCode(() => verifySnpReport(parseSnpReport(c.report), [c.certs[0]!, ...milan.certs.slice(1)], { now: FAKE_NOW, trustedArks: c.trustedArks }), 'VEK_CHAIN_INVALID');
});

test('a product name that disagrees with the issuer is rejected', async () => {
  assertThrowsCode(await verifyCase({ product: 'Genoa', vek: { productName: 'Milan-B0' } }), 'SNP_PRODUCT_UNKNOWN');
  assertThrowsCode(await verifyCase({ product: 'Genoa', vek: { productName: 'Venice' } }), 'SNP_PRODUCT_UNKNOWN');
  (await verifyCase({ product: 'Milan', vek: { productName: 'Milan-B0' } }))();
  (await verifyCase({ product: 'Milan', vek: { productName: null } }))();
});

test('expired and not-yet-valid VCEK', async () => {
  assertThrowsCode(await verifyCase({ vek: { notAfter: new Date('2025-01-01T00:00:00Z') } }), 'VEK_CERT_EXPIRED');
  assertThrowsCode(await verifyCase({ vek: { notBefore: new Date('2025-12-01T00:00:00Z') } }), 'VEK_CERT_EXPIRED');
  assertThrowsCode(await verifyCase({}, new Date(FAKE_NOT_AFTER.getTime() + 1000)), 'VEK_CERT_EXPIRED');
});

test('CRL: revoked ASK, revoked VLEK ASVK, clean CRL, CRL by the wrong ARK, expired CRL', async () => {
  assertThrowsCode(await verifyCase({ product: 'Genoa', crlRevoked: ['020001'] }), 'SNP_CERT_REVOKED');
  assertThrowsCode(await verifyCase({ product: 'Milan', signer: 'vlek', crlRevoked: ['010101'] }), 'SNP_CERT_REVOKED');
  (await verifyCase({ product: 'Genoa', crlRevoked: ['0badbeef'] }))();
  const c = await buildSnpCase({ product: 'Genoa' });
  const { fakeCrl } = await import('../../support/fake_amd_pki.js');
  const wrong = await fakeCrl(c.pki, 'Milan', []);
  assertThrowsCode(() => verifySnpReport(parseSnpReport(c.report), [...c.certs, wrong], { now: FAKE_NOW, trustedArks: c.trustedArks }), 'SNP_CRL_INVALID');
  const stale = await fakeCrl(c.pki, 'Genoa', [], { nextUpdate: new Date('2025-01-01T00:00:00Z') });
  assertThrowsCode(() => verifySnpReport(parseSnpReport(c.report), [...c.certs, stale], { now: FAKE_NOW, trustedArks: c.trustedArks }), 'SNP_CRL_INVALID');
  const pem = new TextEncoder().encode(`-----BEGIN X509 CRL-----\n${Buffer.from(await fakeCrl(c.pki, 'Genoa', ['020001'])).toString('base64')}\n-----END X509 CRL-----\n`);
  assertThrowsCode(() => verifySnpReport(parseSnpReport(c.report), [...c.certs, pem], { now: FAKE_NOW, trustedArks: c.trustedArks }), 'SNP_CERT_REVOKED');
});

test('reported TCB must match the VEK TCB, component by component (Turin incl. fmc)', async () => {
  const legacy = { bootloader: 10, tee: 1, snp: 23, microcode: 84 };
  for (const k of ['bootloader', 'tee', 'snp', 'microcode'] as const) {
    assertThrowsCode(await verifyCase({ product: 'Genoa', tcb: legacy, reportedTcb: { ...legacy, [k]: legacy[k] + 1 } }), 'REPORTED_TCB_MISMATCH', k);
  }
  const turin = { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 5 };
  for (const k of ['fmc', 'bootloader', 'tee', 'snp', 'microcode'] as const) {
    assertThrowsCode(await verifyCase({ product: 'Turin', tcb: turin, reportedTcb: { ...turin, [k]: turin[k] + 1 } }), 'REPORTED_TCB_MISMATCH', `turin ${k}`);
  }
  const { fmc: _f, ...noFmc } = turin;
  assertThrowsCode(await verifyCase({ product: 'Turin', tcb: noFmc, reportedTcb: turin }), 'VEK_EXTENSIONS_INVALID');
});

test('chip ID must match the VCEK hwID; Turin compares the first 8 bytes; masked chip IDs are skipped with a warning', async () => {
  assertThrowsCode(await verifyCase({ product: 'Milan', hwId: new Uint8Array(64).fill(7) }), 'CHIP_ID_MISMATCH');
  assertThrowsCode(await verifyCase({ product: 'Turin', hwId: new Uint8Array(8).fill(7) }), 'CHIP_ID_MISMATCH');
  assertThrowsCode(await verifyCase({ product: 'Turin', hwId: new Uint8Array(64).fill(7) }), 'CHIP_ID_MISMATCH');
  assertThrowsCode(await verifyCase({ product: 'Genoa', hwId: null }), 'VEK_EXTENSIONS_INVALID');
  const masked = (await verifyCase({ product: 'Genoa', chipId: new Uint8Array(64), report: { maskChipKey: true } }))();
  assert.equal(masked.warnings.length, 1);
  assertThrowsCode(await verifyCase({ product: 'Genoa', report: { maskChipKey: true } }), 'CHIP_ID_MISMATCH');
});

test('SIGNING_KEY must match the certificate kind; unsigned reports are refused', async () => {
  assertThrowsCode(await verifyCase({ signer: 'vcek', report: { signingKey: 'vlek' } }), 'SIGNING_KEY_MISMATCH');
  assertThrowsCode(await verifyCase({ signer: 'vlek', report: { signingKey: 'vcek' } }), 'SIGNING_KEY_MISMATCH');
  assertThrowsCode(await verifyCase({ report: { signingKey: 'none' } }), 'REPORT_NOT_SIGNED');
});

test('debug policy bit is carried into the claims', async () => {
  const out = (await verifyCase({ report: { policy: 0x30000n | (1n << 19n), vmpl: 2 } }))();
  assert.equal(out.claims.debug, true);
  assert.equal(out.claims.policy, '0x00000000000b0000');
  assert.equal(out.claims.vmpl, 2);
});
