import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { csrFromKey, issueLeaf, type Ca } from '../../src/ca/index.js';
import { randomSerial } from '../../src/ca/ca_state.js';
import { children, readNode } from '../../src/common/der.js';
import { importPublicKeySpki, KEY_SPECS, type KeyType } from '../../src/ca/keys.js';
import { leafKeyUsage } from '../../src/ca/issue_leaf.js';
import { commonName, ipBytes, sanExtension, type Sans } from '../../src/ca/names.js';
import { signCertificate } from '../../src/ca/sign_certificate.js';
import { x509 } from '../../src/ca/x509_provider.js';
import { chainVerifies, DAY, makeCa, nodeCert, NOW } from './fixtures.js';

/**
 * issueLeaf writes leaf certificates with its own DER writer (the activation hot path). The
 * reference is what @peculiar/x509 writes for the same inputs (the CA's other certificates and
 * the previous leaf path): the TBSCertificate must be identical byte for byte, so relying
 * parties see exactly the same certificates as before.
 */
const fixedSerial = { bytes: (n: number) => new Uint8Array(n).fill(0x5b) };

async function reference(ca: Ca, spki: Uint8Array, keyType: KeyType, o: { cn: string; sans: Sans; notBefore: Date; notAfter: Date; server: boolean; client: boolean }) {
  const usages = [...(o.server ? [x509.ExtendedKeyUsage.serverAuth] : []), ...(o.client ? [x509.ExtendedKeyUsage.clientAuth] : [])];
  const san = sanExtension(o.sans);
  const signed = await signCertificate({
    serial: randomSerial(fixedSerial),
    subject: commonName(o.cn),
    publicKey: await importPublicKeySpki(spki, keyType),
    issuer: ca.intermediate,
    signingKey: ca.intermediate.privateKey,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signing: KEY_SPECS[ca.keyType].signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(leafKeyUsage(keyType), true),
      ...(usages.length > 0 ? [new x509.ExtendedKeyUsageExtension(usages, false)] : []),
      ...(san === undefined ? [] : [san]),
    ],
  });
  return signed.der;
}

function tbsOf(der: Uint8Array): string {
  const [tbs] = children(der, readNode(der, 0));
  return Buffer.from(der.subarray(tbs!.start, tbs!.end)).toString('hex');
}

// Not '::ffff:192.0.2.1': @peculiar/x509 2.2.0 mis-encodes IPv4-mapped IPv6 (ipBytes is checked below).
const SANS: Sans = { dns: ['api.local', '*.api.demo'], ip: ['10.0.0.7', '::1', '2001:db8::8:800:200c:417a', 'fe80::'], uri: ['cloister://workload/api/api-0'] };

for (const caKey of ['ecdsa-p256', 'ecdsa-p384'] as const) {
  test(`leaf TBSCertificate equals @peculiar/x509's byte for byte (${caKey} CA)`, async () => {
    const ca = { ...(await makeCa({ keyType: caKey, rootDays: 40 * 365, interDays: 30 * 365, name: `der-${caKey}` })), random: fixedSerial };
    const cases: Array<{ spki: Uint8Array; keyType: KeyType; csrPem?: string }> = [];
    const csr = await csrFromKey({ subjectCn: 'x' });
    cases.push({ spki: await x509Spki(csr.csrPem), keyType: 'ecdsa-p256', csrPem: csr.csrPem });
    for (const [type, gen] of [
      ['ecdsa-p384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
      ['ed25519', () => generateKeyPairSync('ed25519')],
      ['rsa-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ] as const) {
      cases.push({ spki: new Uint8Array(gen().publicKey.export({ format: 'der', type: 'spki' })), keyType: type });
    }
    for (const c of cases) {
      for (const [cn, sans, lifetimeMs, server, client] of [
        ['api/0', SANS, DAY, true, true],
        ['api_0 (utf8)', {}, 60_000, true, false],
        ['late', { dns: ['x'] }, 26 * 365 * DAY, false, true], // notAfter past 2049: GeneralizedTime
      ] as const) {
        const key = c.csrPem !== undefined ? { csrPem: c.csrPem } : { publicKeySpki: c.spki };
        const leaf = await issueLeaf(ca, { ...key, subjectCn: cn, sans, now: NOW, lifetimeMs, serverAuth: server, clientAuth: client });
        const ref = await reference(ca, c.spki, c.keyType, { cn, sans, notBefore: leaf.notBefore, notAfter: leaf.notAfter, server, client });
        assert.equal(tbsOf(leaf.certDer), tbsOf(ref), `${c.keyType} ${cn}`);
        assert.ok(chainVerifies(nodeCert(leaf.certPem), nodeCert(ca.intermediate.certPem), nodeCert(ca.root.certPem)), `${c.keyType} ${cn} chain`);
      }
    }
  });
}

async function x509Spki(csrPem: string): Promise<Uint8Array> {
  return new Uint8Array(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
}

test('ipBytes writes IPv4 and every IPv6 spelling as node reads it back', () => {
  assert.equal(Buffer.from(ipBytes('10.0.0.7')).toString('hex'), '0a000007');
  assert.equal(Buffer.from(ipBytes('::')).toString('hex'), '0'.repeat(32));
  assert.equal(Buffer.from(ipBytes('::1')).toString('hex'), `${'0'.repeat(30)}01`);
  assert.equal(Buffer.from(ipBytes('fe80::')).toString('hex'), `fe80${'0'.repeat(28)}`);
  assert.equal(Buffer.from(ipBytes('::ffff:192.0.2.1')).toString('hex'), `${'0'.repeat(20)}ffffc0000201`);
  assert.equal(Buffer.from(ipBytes('2001:db8:0:0:1:0:0:1')).toString('hex'), '20010db8000000000001000000000001');
  assert.equal(Buffer.from(ipBytes('2001:db8::1:0:0:1')).toString('hex'), '20010db8000000000001000000000001');
});
