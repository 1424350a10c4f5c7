import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCa } from '../../src/ca/index.js';
import { x509 } from '../../src/ca/x509_provider.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { seededRandom } from '../store/fixtures.js';
import { DAY, makeCa, nodeCert, NOW } from './fixtures.js';

function ext<T extends x509.Extension>(cert: x509.X509Certificate, type: new (raw: ArrayBuffer) => T): T {
  const e = cert.getExtension(type);
  assert.ok(e !== null, `missing ${type.name}`);
  return e;
}

for (const keyType of ['ecdsa-p256', 'ecdsa-p384'] as const) {
  test(`${keyType}: root and intermediate verify with node:crypto and carry CA extensions`, async () => {
    const ca = await makeCa({ keyType });
    const root = nodeCert(ca.root.certPem);
    const inter = nodeCert(ca.intermediate.certPem);
    assert.ok(root.checkIssued(root) && root.verify(root.publicKey));
    assert.ok(inter.checkIssued(root) && inter.verify(root.publicKey));
    assert.equal(inter.verify(inter.publicKey), false);
    assert.ok(root.ca && inter.ca);
    assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, keyType === 'ecdsa-p256' ? 'prime256v1' : 'secp384r1');
    assert.equal(root.subject, 'CN=Test Root CA');
    assert.equal(inter.subject, 'CN=Test Intermediate CA');

    const r = ca.root.cert;
    const i = ca.intermediate.cert;
    const rbc = ext(r, x509.BasicConstraintsExtension);
    const ibc = ext(i, x509.BasicConstraintsExtension);
    assert.deepEqual([rbc.ca, rbc.pathLength, rbc.critical], [true, 1, true]);
    assert.deepEqual([ibc.ca, ibc.pathLength, ibc.critical], [true, 0, true]);
    for (const c of [r, i]) {
      const ku = ext(c, x509.KeyUsagesExtension);
      assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      assert.ok(ku.critical);
    }
    const rootSki = ext(r, x509.SubjectKeyIdentifierExtension).keyId;
    assert.equal(ext(i, x509.AuthorityKeyIdentifierExtension).keyId, rootSki);
    assert.notEqual(ext(i, x509.SubjectKeyIdentifierExtension).keyId, rootSki);
    assert.equal(ca.intermediate.keyId, ext(i, x509.SubjectKeyIdentifierExtension).keyId);
  });
}

test('lifetimes: as asked, and the intermediate never outlives the root', async () => {
  const ca = await makeCa({ rootDays: 10, interDays: 3 });
  assert.equal(ca.root.cert.notBefore.getTime(), NOW.getTime());
  assert.equal(ca.root.cert.notAfter.getTime(), NOW.getTime() + 10 * DAY);
  assert.equal(ca.intermediate.cert.notAfter.getTime(), NOW.getTime() + 3 * DAY);
  const clamped = await makeCa({ rootDays: 2, interDays: 30, name: 'clamp' });
  assert.equal(clamped.intermediate.cert.notAfter.getTime(), clamped.root.cert.notAfter.getTime());
});

test('serials are positive 16-byte values, distinct', async () => {
  const ca = await makeCa();
  const serials = [ca.root.cert.serialNumber, ca.intermediate.cert.serialNumber];
  for (const s of serials) {
    assert.match(s, /^[0-9a-f]{32}$/);
    assert.ok(parseInt(s.slice(0, 2), 16) < 0x80 && s.slice(0, 2) !== '00');
  }
  assert.notEqual(serials[0], serials[1]);
});

test('bad inputs are rejected with codes', async () => {
  const base = { now: NOW, random: seededRandom('bad'), rootLifetimeMs: DAY, intermediateLifetimeMs: DAY, name: 'x' };
  await assertRejectsCode(() => createCa({ ...base, name: '' }), 'CA_NAME_INVALID');
  await assertRejectsCode(() => createCa({ ...base, name: 'n'.repeat(41) }), 'CA_NAME_INVALID');
  await assertRejectsCode(() => createCa({ ...base, rootLifetimeMs: 0 }), 'CA_LIFETIME_INVALID');
  await assertRejectsCode(() => createCa({ ...base, intermediateLifetimeMs: Number.POSITIVE_INFINITY }), 'CA_LIFETIME_INVALID');
  await assertRejectsCode(() => createCa({ ...base, keyType: 'rsa-2048' as 'ecdsa-p256' }), 'CA_KEY_UNSUPPORTED');
});
