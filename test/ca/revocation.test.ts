import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { buildCrl, csrFromKey, isRevoked, issueLeaf, revoke, type Ca } from '../../src/ca/index.js';
import { x509 } from '../../src/ca/x509_provider.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { DAY, HOUR, makeCa, NOW } from './fixtures.js';

let ca: Ca;
before(async () => {
  ca = await makeCa();
});

test('revoke returns a new CA value; the CRL lists revoked serials with reasons and verifies under the intermediate', async () => {
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  const a = await issueLeaf(ca, { csrPem, subjectCn: 'a', sans: {}, now: NOW });
  const b = await issueLeaf(ca, { csrPem, subjectCn: 'b', sans: {}, now: NOW });
  const kept = await issueLeaf(ca, { csrPem, subjectCn: 'c', sans: {}, now: NOW });
  const t1 = new Date(NOW.getTime() + HOUR);
  const after = revoke(revoke(ca, a.serial, 'keyCompromise', t1), b.serial.toUpperCase(), 'cessationOfOperation', t1);
  assert.equal(ca.revoked.length, 0, 'the original value is unchanged');
  assert.deepEqual(after.revoked.map((r) => r.serial), [a.serial, b.serial]);
  assert.ok(isRevoked(after, a.serial) && !isRevoked(after, kept.serial));
  assert.equal(revoke(after, a.serial, 'superseded', NOW), after, 'revoking twice keeps the first record');

  const crl = await buildCrl(after, t1, new Date(t1.getTime() + DAY));
  const parsed = new x509.X509Crl(crl.pem);
  assert.ok(await parsed.verify({ publicKey: ca.intermediate.cert }));
  assert.equal(await parsed.verify({ publicKey: ca.root.cert }), false);
  assert.equal(parsed.issuer, ca.intermediate.cert.subject);
  assert.deepEqual(
    parsed.entries.map((e) => [e.serialNumber.toLowerCase(), e.reason, e.revocationDate.getTime()]),
    [[a.serial, x509.X509CrlReason.keyCompromise, t1.getTime()], [b.serial, x509.X509CrlReason.cessationOfOperation, t1.getTime()]],
  );
  assert.equal(parsed.thisUpdate.getTime(), t1.getTime());
  assert.equal(parsed.nextUpdate?.getTime(), t1.getTime() + DAY);
  assert.equal(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, ca.intermediate.keyId);
  assert.equal(crl.number, BigInt(t1.getTime() / 1000));
  assert.deepEqual(new Uint8Array(parsed.rawData), crl.der);
  assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n/);
});

test('OpenSSL accepts the CRL against the chain and reports the revoked leaf', { skip: !hasOpenssl() && 'openssl not installed' }, async () => {
  const { csrPem } = await csrFromKey({ subjectCn: 'w' });
  const leaf = await issueLeaf(ca, { csrPem, subjectCn: 'a', sans: {}, now: NOW });
  const good = await issueLeaf(ca, { csrPem, subjectCn: 'b', sans: {}, now: NOW });
  const revoked = revoke(ca, leaf.serial, 'keyCompromise', NOW);
  const crl = await buildCrl(revoked, NOW, new Date(NOW.getTime() + DAY));
  const dir = mkdtempSync(join(tmpdir(), 'cloister-crl-'));
  try {
    writeFileSync(join(dir, 'root.pem'), ca.root.certPem);
    writeFileSync(join(dir, 'inter.pem'), ca.intermediate.certPem);
    writeFileSync(join(dir, 'crl.pem'), crl.pem);
    writeFileSync(join(dir, 'bad.pem'), leaf.certPem);
    writeFileSync(join(dir, 'good.pem'), good.certPem);
    const at = String(Math.floor(NOW.getTime() / 1000) + 60);
    const run = (cert: string) =>
      execFileSync('openssl', ['verify', '-attime', at, '-crl_check', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'inter.pem'), '-CRLfile', join(dir, 'crl.pem'), join(dir, cert)], { stdio: 'pipe' }).toString();
    assert.match(run('good.pem'), /OK/);
    assert.throws(() => run('bad.pem'), /certificate revoked/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad revocations and CRL windows are rejected with codes', async () => {
  assertThrowsCode(() => revoke(ca, 'xyz', 'keyCompromise', NOW), 'CA_SERIAL_INVALID');
  assertThrowsCode(() => revoke(ca, 'ab'.repeat(21), 'keyCompromise', NOW), 'CA_SERIAL_INVALID');
  assertThrowsCode(() => revoke(ca, '01', 'bogus' as 'keyCompromise', NOW), 'CA_SERIAL_INVALID');
  await assertRejectsCode(() => buildCrl(ca, NOW, NOW), 'CA_LIFETIME_INVALID');
  await assertRejectsCode(() => buildCrl(ca, new Date(NOW.getTime() + 400 * DAY), new Date(NOW.getTime() + 401 * DAY)), 'CA_NOT_VALID_AT_TIME');
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
