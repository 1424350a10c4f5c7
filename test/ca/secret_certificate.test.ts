import assert from 'node:assert/strict';
import { createPrivateKey, sign, verify } from 'node:crypto';
import { before, test } from 'node:test';
import { issueSecretCertificate, KEY_TYPES, type Ca } from '../../src/ca/index.js';
import { x509 } from '../../src/ca/x509_provider.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { chainVerifies, DAY, makeCa, nodeCert, NOW, pemCerts } from './fixtures.js';

let ca: Ca;
before(async () => {
  ca = await makeCa({ keyType: 'ecdsa-p384', interDays: 90 });
});

/** The private key really belongs to the certificate: sign with one, verify with the other. */
function keyMatches(certPem: string, privateKeyPem: string): boolean {
  const key = createPrivateKey(privateKeyPem);
  const data = Buffer.from('cloister secret check');
  const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return verify(hash, data, nodeCert(certPem).publicKey, sign(hash, data, key));
}

const DETAILS: Record<string, (c: ReturnType<typeof nodeCert>) => void> = {
  'ecdsa-p256': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1'),
  'ecdsa-p384': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1'),
  ed25519: (c) => assert.equal(c.publicKey.asymmetricKeyType, 'ed25519'),
  'rsa-2048': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.modulusLength, 2048),
  'rsa-3072': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.modulusLength, 3072),
  'rsa-4096': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.modulusLength, 4096),
};

for (const keyType of KEY_TYPES) {
  test(`${keyType} leaf secret: issued by the intermediate, key matches, SANs and validity as asked`, async () => {
    const s = await issueSecretCertificate(ca, { keyType, subject: 'CN=db,O=Example Corp', sans: { dns: ['db.internal'] }, validityMs: 7 * DAY, isCa: false, now: NOW });
    const [leaf, inter] = pemCerts(s.chainPem);
    assert.ok(leaf && inter);
    assert.ok(chainVerifies(leaf, inter, nodeCert(ca.root.certPem)));
    assert.equal(leaf.subject, 'CN=db\nO=Example Corp');
    assert.equal(leaf.subjectAltName, 'DNS:db.internal');
    assert.equal(leaf.ca, false);
    DETAILS[keyType]!(leaf);
    assert.ok(keyMatches(s.certPem, s.privateKeyPem));
    assert.equal(s.notAfter.getTime() - s.notBefore.getTime(), 7 * DAY);
    assert.equal(s.selfSigned, false);
    const ku = new x509.X509Certificate(s.certPem).getExtension(x509.KeyUsagesExtension)!.usages;
    assert.equal((ku & x509.KeyUsageFlags.keyEncipherment) !== 0, keyType.startsWith('rsa-'));
  });
}

test('CA secret: self-signed trust anchor (not chained to the Cloister root), key matches', async () => {
  const s = await issueSecretCertificate(ca, { keyType: 'ed25519', subjectCn: 'Partner CA', validityMs: 400 * DAY, isCa: true, now: NOW });
  const c = nodeCert(s.certPem);
  assert.ok(c.ca && c.checkIssued(c) && c.verify(c.publicKey));
  assert.equal(c.checkIssued(nodeCert(ca.intermediate.certPem)), false);
  assert.ok(keyMatches(s.certPem, s.privateKeyPem));
  assert.equal(s.selfSigned, true);
  // Its own validity, not clamped by the intermediate (90 days).
  assert.equal(s.notAfter.getTime(), NOW.getTime() + 400 * DAY);
  const ku = new x509.X509Certificate(s.certPem).getExtension(x509.KeyUsagesExtension)!.usages;
  assert.ok(ku & x509.KeyUsageFlags.keyCertSign);
});

test('bad secret requests are rejected with codes', async () => {
  const base = { keyType: 'ecdsa-p256' as const, validityMs: DAY, isCa: false, now: NOW };
  await assertRejectsCode(() => issueSecretCertificate(ca, { ...base }), 'CA_NAME_INVALID');
  await assertRejectsCode(() => issueSecretCertificate(ca, { ...base, subject: 'CN=a', subjectCn: 'a' }), 'CA_NAME_INVALID');
  await assertRejectsCode(() => issueSecretCertificate(ca, { ...base, subject: 'CN=a;rm' }), 'CA_NAME_INVALID');
  await assertRejectsCode(() => issueSecretCertificate(ca, { ...base, subjectCn: 'a', keyType: 'dsa-1024' as 'ed25519' }), 'CA_KEY_UNSUPPORTED');
  await assertRejectsCode(() => issueSecretCertificate(ca, { ...base, subjectCn: 'a', validityMs: -1 }), 'CA_LIFETIME_INVALID');
  await assertRejectsCode(() => issueSecretCertificate(ca, { ...base, subjectCn: 'a', sans: { ip: ['300.1.1.1'] } }), 'CA_SAN_INVALID');
});
