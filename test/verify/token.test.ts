import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { EAR_PROFILE, exportJwks, generateTokenKey, issueToken, verifyToken } from '../../src/verify/token.js';
import type { VerificationResult } from '../../src/verify/types.js';
import { assertRejectsCode } from '../support/assert_code.js';

const now = new Date('2025-07-19T10:00:00Z');
const okSgx: VerificationResult = {
  ok: true,
  tee: 'sgx',
  status: 'UpToDate',
  advisoryIds: [],
  warnings: [],
  claims: { mrenclave: 'aa'.repeat(32), mrsigner: 'bb'.repeat(32), isvProdId: 1, isvSvn: 2, reportData: '00'.repeat(64), debug: false, fmspc: '00a067110000' },
};

test('an affirming EAR token round-trips through its JWKS', async () => {
  const key = generateTokenKey();
  const token = await issueToken(okSgx, key, { now, nonce: 'abcdefgh12345678' });
  assert.equal(decodeProtectedHeader(token).alg, 'ES256');
  const claims = await verifyToken(token, await exportJwks(key), { now, nonce: 'abcdefgh12345678' });
  assert.equal(claims.eat_profile, EAR_PROFILE);
  assert.equal(claims.iat, now.getTime() / 1000);
  const sub = claims.submods.sgx!;
  assert.equal(sub['ear.status'], 'affirming');
  assert.equal(sub['ear.trustworthiness-vector'].hardware, 2);
  assert.deepEqual((sub['ear.veraison.annotated-evidence'] as { claims: unknown }).claims, okSgx.claims);
});

test('warning for an accepted but not up-to-date TCB, contraindicated for a rejection', async () => {
  const key = generateTokenKey();
  const warn = decodeJwt(await issueToken({ ...okSgx, status: 'SWHardeningNeeded' }, key, { now })) as { submods: Record<string, Record<string, unknown>> };
  assert.equal(warn.submods.sgx!['ear.status'], 'warning');
  const bad: VerificationResult = { ok: false, tee: 'snp', error: { code: 'REPORT_SIGNATURE_INVALID', message: 'x' } };
  const rej = decodeJwt(await issueToken(bad, key, { now })) as { submods: Record<string, Record<string, unknown>> };
  assert.equal(rej.submods.snp!['ear.status'], 'contraindicated');
  assert.deepEqual(rej.submods.snp!['ear.veraison.annotated-evidence'], { error: { code: 'REPORT_SIGNATURE_INVALID' } });
});

test('tokens from another key, tampered tokens, wrong nonce and non-EAR JWTs are rejected', async () => {
  const key = generateTokenKey();
  const token = await issueToken(okSgx, key, { now });
  const other = await exportJwks(generateTokenKey());
  await assertRejectsCode(() => verifyToken(token, other, { now }), 'TOKEN_INVALID');
  const [h, p, s] = token.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), iat: 1 })).toString('base64url')}.${s}`;
  assert.notEqual(tampered, token);
  const jwks = await exportJwks(key);
  await assertRejectsCode(() => verifyToken(tampered, jwks, { now }), 'TOKEN_INVALID');
  await assertRejectsCode(() => verifyToken(token, jwks, { now, nonce: 'expected-nonce' }), 'TOKEN_INVALID');
  assert.ok(p);
  const { SignJWT } = await import('jose');
  const notEar = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt(now).sign(key);
  await assertRejectsCode(() => verifyToken(notEar, jwks, { now }), 'TOKEN_INVALID');
});

test('other key types sign with their algorithm; public keys cannot sign', async () => {
  const ed = generateKeyPairSync('ed25519').privateKey;
  assert.equal(decodeProtectedHeader(await issueToken(okSgx, ed, { now })).alg, 'EdDSA');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const t = await issueToken(okSgx, p384, { now });
  assert.equal(decodeProtectedHeader(t).alg, 'ES384');
  await verifyToken(t, await exportJwks(p384), { now });
  const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  await assertRejectsCode(() => issueToken(okSgx, pub, { now }), 'TOKEN_KEY_INVALID');
});
