import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { before, test } from 'node:test';
import { csrFromKey, DEFAULT_LEAF_LIFETIME_MS, issueLeaf, verifyCsr, type Ca } from '../../src/ca/index.js';
import { x509 } from '../../src/ca/x509_provider.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { chainVerifies, DAY, HOUR, makeCa, nodeCert, NOW } from './fixtures.js';

let ca: Ca;
before(async () => {
  ca = await makeCa({ interDays: 3 });
});

const SANS = { dns: ['api.demo.svc', '*.api.demo'], ip: ['10.0.0.7', '::1'], uri: ['spiffe://cloister/workload/api'] };

test('a CSR leaf chains to the root, carries the SANs and leaf extensions, and returns the CSR key', async () => {
  const { csrPem, privateKeyPem } = await csrFromKey({ subjectCn: 'ignored-by-ca', sans: { dns: ['evil.example'] } });
  const leaf = await issueLeaf(ca, { csrPem, subjectCn: 'api/0', sans: SANS, now: NOW });
  const cert = nodeCert(leaf.certPem);
  assert.ok(chainVerifies(cert, nodeCert(ca.intermediate.certPem), nodeCert(ca.root.certPem)));
  assert.equal(cert.subject, 'CN=api/0');
  assert.equal(cert.subjectAltName, 'DNS:api.demo.svc, DNS:*.api.demo, IP Address:10.0.0.7, IP Address:0:0:0:0:0:0:0:1, URI:spiffe://cloister/workload/api');
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(leaf.serial, cert.serialNumber.toLowerCase());
  assert.match(leaf.serial, /^[0-7][0-9a-f]{31}$/);
  // The returned SPKI is the CSR's key: the workload's private key signs, it verifies.
  const pub = createPublicKey({ key: Buffer.from(leaf.publicKeySpki), format: 'der', type: 'spki' });
  const sig = sign('sha256', Buffer.from('hello'), createPrivateKey(privateKeyPem));
  assert.ok(verify('sha256', Buffer.from('hello'), pub, sig));
  assert.ok(cert.publicKey.equals(pub));
  assert.equal(leaf.keyType, 'ecdsa-p256');

  const p = new x509.X509Certificate(leaf.certPem);
  const bc = p.getExtension(x509.BasicConstraintsExtension)!;
  assert.deepEqual([bc.ca, bc.critical], [false, true]);
  assert.equal(p.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.digitalSignature);
  assert.equal(p.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, ca.intermediate.keyId);
  assert.ok(p.getExtension(x509.SubjectKeyIdentifierExtension) !== null);
  assert.equal(leaf.chainPem, leaf.certPem + ca.intermediate.certPem);
});

test('lifetime: 24 h by default, backdated 60 s, clamped to the intermediate', async () => {
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  const d = await issueLeaf(ca, { csrPem, subjectCn: 'w', sans: {}, now: new Date(NOW.getTime() + HOUR + 123) });
  assert.equal(d.notAfter.getTime() - d.notBefore.getTime(), DEFAULT_LEAF_LIFETIME_MS + 60_000);
  assert.equal(new Date(nodeCert(d.certPem).validTo).getTime(), d.notAfter.getTime());
  assert.equal(d.clamped, false);
  // At the CA's very start the backdate is clamped to the intermediate's notBefore.
  const atStart = await issueLeaf(ca, { csrPem, subjectCn: 'w', sans: {}, now: NOW, lifetimeMs: HOUR });
  assert.equal(atStart.notBefore.getTime(), NOW.getTime());
  const late = new Date(NOW.getTime() + 3 * DAY - 2 * HOUR);
  const c = await issueLeaf(ca, { csrPem, subjectCn: 'w', sans: {}, now: late, lifetimeMs: 7 * DAY });
  assert.equal(c.notAfter.getTime(), ca.intermediate.cert.notAfter.getTime());
  assert.equal(c.clamped, true);
});

test('issuing outside the intermediate validity is CA_NOT_VALID_AT_TIME', async () => {
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  await assertRejectsCode(() => issueLeaf(ca, { csrPem, subjectCn: 'w', sans: {}, now: new Date(NOW.getTime() + 3 * DAY) }), 'CA_NOT_VALID_AT_TIME');
  await assertRejectsCode(() => issueLeaf(ca, { csrPem, subjectCn: 'w', sans: {}, now: new Date(NOW.getTime() - 1000) }), 'CA_NOT_VALID_AT_TIME');
  await assertRejectsCode(() => issueLeaf(ca, { csrPem, subjectCn: 'w', sans: {}, now: NOW, lifetimeMs: 0 }), 'CA_LIFETIME_INVALID');
});

test('a CSR with a bad signature, a foreign key or garbage is CA_CSR_INVALID', async () => {
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  // Flip a bit in the last byte: inside the signature's s value.
  const badSig = Buffer.from(der);
  badSig[badSig.length - 1]! ^= 0x01;
  await assertRejectsCode(() => issueLeaf(ca, { csrPem: new Uint8Array(badSig), subjectCn: 'w', sans: {}, now: NOW }), 'CA_CSR_INVALID');
  // Swap in another key's CSR signature: the CSR body is intact, the signature is someone else's.
  const other = Buffer.from((await csrFromKey({ subjectCn: 'w' })).csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const spliced = Buffer.concat([der.subarray(0, der.length - 72), other.subarray(other.length - 72)]);
  await assertRejectsCode(() => verifyCsr(new Uint8Array(spliced)), 'CA_CSR_INVALID');
  await assertRejectsCode(() => verifyCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), 'CA_CSR_INVALID');
  await assertRejectsCode(() => verifyCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), 'CA_CSR_INVALID');
  await assertRejectsCode(() => verifyCsr('not a csr'), 'CA_CSR_INVALID');
});

test('a CSR over an unsupported key (RSA-1024, secp256k1) is CA_CSR_INVALID', async () => {
  const { webcrypto } = await import('node:crypto');
  const rsa = await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const req = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=w', keys: rsa as never, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' } });
  await assertRejectsCode(() => verifyCsr(req.toString('pem')), 'CA_CSR_INVALID');
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const spki = new Uint8Array(k1.publicKey.export({ format: 'der', type: 'spki' }));
  await assertRejectsCode(() => issueLeaf(ca, { publicKeySpki: spki, subjectCn: 'w', sans: {}, now: NOW }), 'CA_KEY_UNSUPPORTED');
});

test('issuing for a given public key; EKUs follow serverAuth/clientAuth', async () => {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const spki = new Uint8Array(k.publicKey.export({ format: 'der', type: 'spki' }));
  const server = await issueLeaf(ca, { publicKeySpki: spki, subjectCn: 'coordinator', sans: { dns: ['coordinator'] }, now: NOW, clientAuth: false });
  assert.deepEqual(nodeCert(server.certPem).keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.ok(nodeCert(server.certPem).publicKey.equals(k.publicKey));
  assert.equal(server.keyType, 'ecdsa-p384');
  const client = await issueLeaf(ca, { publicKeySpki: spki, subjectCn: 'c', sans: {}, now: NOW, serverAuth: false });
  assert.deepEqual(nodeCert(client.certPem).keyUsage, ['1.3.6.1.5.5.7.3.2']);
});

test('bad names are rejected before signing', async () => {
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  for (const sans of [{ dns: ['UPPER.example'] }, { dns: ['a..b'] }, { ip: ['10.0.0.256'] }, { uri: ['not a uri'] }]) {
    await assertRejectsCode(() => issueLeaf(ca, { csrPem, subjectCn: 'w', sans, now: NOW }), 'CA_SAN_INVALID', JSON.stringify(sans));
  }
  await assertRejectsCode(() => issueLeaf(ca, { csrPem, subjectCn: '', sans: {}, now: NOW }), 'CA_NAME_INVALID');
  await assertRejectsCode(() => issueLeaf(ca, { csrPem, subjectCn: 'x'.repeat(65), sans: {}, now: NOW }), 'CA_NAME_INVALID');
  // A comma in the CN stays inside the CN (structured names, no DN string pasting).
  const leaf = await issueLeaf(ca, { csrPem, subjectCn: 'a,O=Evil', sans: {}, now: NOW });
  assert.deepEqual(new x509.X509Certificate(leaf.certPem).subjectName.getField('O'), []);
});
