import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { test } from 'node:test';
import { decodeSignedRequestHeader, verifySignedRequest } from '../../src/governance/index.js';
import { loadUserIdentity, request, selfSignedUserCertificate, signedRequestHeader } from '../../src/runtime/index.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { MODEL, NOW, dave, keys } from '../governance/fixtures.js';
import { makeRoot, tlsIdentity } from './support/fake_coordinator.js';

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const pem = (k: KeyObject, type: 'pkcs8' | 'sec1' | 'pkcs1' = 'pkcs8'): string => k.export({ type, format: 'pem' }) as string;
const spkiDer = (k: KeyObject): Buffer => createPublicKey(k).export({ type: 'spki', format: 'der' });
const HOUR = 3600_000;

const KEYS: Array<[string, KeyObject, 'pkcs8' | 'sec1' | 'pkcs1']> = [
  ['P-256 (SEC1)', keys.alice.privateKey, 'sec1'],
  ['P-384', keys.eve.privateKey, 'pkcs8'],
  ['P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey, 'pkcs8'],
  ['Ed25519', keys.bob.privateKey, 'pkcs8'],
  ['RSA-2048 (PKCS#1)', keys.carol.privateKey, 'pkcs1'],
];

test('without --cert: a 1-hour self-signed client certificate for exactly the key, for every key type', async () => {
  for (const [what, key, type] of KEYS) {
    const id = await loadUserIdentity({ keyPem: pem(key, type), now: NOW, random });
    assert.equal(id.generated, true, what);
    const cert = new X509Certificate(id.certPem);
    assert.ok(cert.verify(cert.publicKey), `${what}: self-signed`);
    assert.deepEqual(cert.publicKey.export({ type: 'spki', format: 'der' }), spkiDer(key), `${what}: SPKI is the key's`);
    assert.equal(cert.ca, false, what);
    assert.ok(new Date(cert.validFrom) <= NOW && new Date(cert.validTo).getTime() === Math.floor((NOW.getTime() + HOUR) / 1000) * 1000, `${what}: ${cert.validFrom} - ${cert.validTo}`);
    assert.match(cert.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.2/, `${what}: clientAuth`);
    assert.match(id.keyPem, /^-----BEGIN PRIVATE KEY-----/, `${what}: key normalized to PKCS#8`);
  }
});

test('each generated certificate is new (random serial) and the lifetime is bounded', async () => {
  const a = new X509Certificate(await selfSignedUserCertificate(keys.alice.privateKey, { now: NOW, random }));
  const b = new X509Certificate(await selfSignedUserCertificate(keys.alice.privateKey, { now: NOW, random }));
  assert.notEqual(a.serialNumber, b.serialNumber);
  await assert.rejects(selfSignedUserCertificate(keys.alice.privateKey, { now: NOW, random, lifetimeMs: 0 }), RangeError);
});

test('with --cert: the certificate is used when it is for the key and valid now', async () => {
  const id = await loadUserIdentity({ keyPem: pem(dave.privateKey), certPem: dave.certificate, now: NOW, random });
  assert.equal(id.generated, false);
  assert.equal(new X509Certificate(id.certPem).fingerprint256, new X509Certificate(dave.certificate).fingerprint256);
});

test('rejected: a certificate for another key, expired or not yet valid, or not a certificate', async () => {
  await assertRejectsCode(() => loadUserIdentity({ keyPem: pem(keys.alice.privateKey), certPem: dave.certificate, now: NOW, random }), 'USER_CERT_INVALID');
  await assertRejectsCode(() => loadUserIdentity({ keyPem: pem(dave.privateKey), certPem: dave.certificate, now: new Date('2026-06-01T00:00:00Z'), random }), 'USER_CERT_INVALID');
  await assertRejectsCode(() => loadUserIdentity({ keyPem: pem(dave.privateKey), certPem: dave.certificate, now: new Date('2024-06-01T00:00:00Z'), random }), 'USER_CERT_INVALID');
  await assertRejectsCode(() => loadUserIdentity({ keyPem: pem(dave.privateKey), certPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', now: NOW, random }), 'USER_CERT_INVALID');
});

test('rejected keys: weak RSA, other curves, X25519, public keys, encrypted keys, garbage, RSA-PSS without --cert', async () => {
  const bad: Array<[string, string]> = [
    ['RSA-1024', pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)],
    ['P-224', pem(generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey)],
    ['secp256k1', pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey)],
    ['X25519', pem(generateKeyPairSync('x25519').privateKey)],
    ['public key', keys.alice.publicKey.export({ type: 'spki', format: 'pem' }) as string],
    ['encrypted', keys.alice.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string],
    ['garbage', 'not a key'],
    ['RSA-PSS', pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey)],
  ];
  for (const [what, keyPem] of bad) await assertRejectsCode(() => loadUserIdentity({ keyPem, now: NOW, random }), 'USER_KEY_INVALID', what);
});

test('signedRequestHeader: the coordinator side verifies it; another path or body does not', () => {
  const body = new TextEncoder().encode(JSON.stringify({ value: 'czNjcmV0' }));
  const req = { method: 'PUT', path: '/api/v1/secrets/db-password?x=1', body };
  for (const user of ['alice', 'bob', 'carol'] as const) {
    const h = signedRequestHeader(req, { user, privateKey: keys[user].privateKey, now: NOW, random });
    assert.equal(h.name, 'cloister-signature');
    const auth = decodeSignedRequestHeader(h.value);
    const ctx = () => ({ now: NOW, maxSkewMs: 60_000, seenNonce: () => false });
    assert.deepEqual(verifySignedRequest(MODEL, req, auth, ctx()).principal, { kind: 'user', name: user });
    assertThrowsCode(() => verifySignedRequest(MODEL, { ...req, path: '/api/v1/secrets/db-password' }, auth, ctx()), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
    assertThrowsCode(() => verifySignedRequest(MODEL, { ...req, body: new Uint8Array(0) }, auth, ctx()), 'GOVERNANCE_REQUEST_SIGNATURE_INVALID');
  }
});

test('mTLS: a server sees the generated certificate, whose SPKI is the user key, in a real handshake', async () => {
  const root = await makeRoot('User Identity Test Root');
  const tls = await tlsIdentity(root);
  const seen: Buffer[] = [];
  const server = createServer({ key: tls.keyPem, cert: tls.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const raw = (req.socket as TLSSocket).getPeerCertificate().raw;
    if (raw !== undefined) seen.push(raw);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    for (const [what, key] of KEYS) {
      const id = await loadUserIdentity({ keyPem: pem(key), now: new Date(), random });
      await request('GET', url, undefined, { ca: root.pem, clientCert: id.certPem, clientKey: id.keyPem, timeoutMs: 10_000 });
      const peer = new X509Certificate(seen.pop()!);
      assert.deepEqual(peer.publicKey.export({ type: 'spki', format: 'der' }), spkiDer(key), what);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
