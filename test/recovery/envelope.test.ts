import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import type { Random } from '../../src/common/clock.js';
import { decryptShare, encryptShare, recoveryKeyFingerprint, splitSecret } from '../../src/recovery/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const random: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };
const pem = (k: KeyObject): string => k.export({ type: k.type === 'public' ? 'spki' : 'pkcs8', format: 'pem' }) as string;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const x = generateKeyPairSync('x25519');
const x2 = generateKeyPairSync('x25519');
const { shares } = splitSecret(new Uint8Array(randomBytes(64)), 3, 2, random);
const share = shares[1]!;

test('a share round-trips through RSA-OAEP-SHA256 and X25519 envelopes (PEM keys)', () => {
  for (const k of [rsa, x]) {
    const blob = encryptShare(pem(k.publicKey), share, random);
    assert.deepEqual(decryptShare(pem(k.privateKey), blob), share);
    // Fresh randomness each time: two envelopes of one share differ.
    assert.notDeepEqual(encryptShare(pem(k.publicKey), share, random), blob);
  }
  assert.match(recoveryKeyFingerprint(pem(x.publicKey)), /^[0-9a-f]{64}$/);
});

test('the wrong key is named as such: other key of the same type, or other algorithm', () => {
  assertThrowsCode(() => decryptShare(pem(rsa2.privateKey), encryptShare(pem(rsa.publicKey), share, random)), 'RECOVERY_KEY_MISMATCH');
  assertThrowsCode(() => decryptShare(pem(x2.privateKey), encryptShare(pem(x.publicKey), share, random)), 'RECOVERY_KEY_MISMATCH');
  assertThrowsCode(() => decryptShare(pem(x.privateKey), encryptShare(pem(rsa.publicKey), share, random)), 'RECOVERY_KEY_MISMATCH');
  assertThrowsCode(() => decryptShare(pem(rsa.privateKey), encryptShare(pem(x.publicKey), share, random)), 'RECOVERY_KEY_MISMATCH');
});

test('every flipped byte of an envelope is rejected with a typed error', () => {
  const cases: Array<[KeyObject, Uint8Array]> = [
    [x.privateKey, encryptShare(x.publicKey, share, random)],
    [rsa.privateKey, encryptShare(rsa.publicKey, share, random)],
  ];
  for (const [priv, blob] of cases) {
    for (let i = 0; i < blob.length; i++) {
      const t = new Uint8Array(blob);
      t[i]! ^= 0x01;
      assertThrowsCode(() => decryptShare(priv, t), ['RECOVERY_ENVELOPE_MALFORMED', 'RECOVERY_KEY_MISMATCH', 'RECOVERY_DECRYPT_FAILED'], `byte ${i}`);
    }
    for (const len of [0, 10, 38, 39, blob.length - 1]) {
      assertThrowsCode(() => decryptShare(priv, blob.subarray(0, len)), ['RECOVERY_ENVELOPE_MALFORMED', 'RECOVERY_DECRYPT_FAILED'], `len ${len}`);
    }
  }
});

test('envelope header fields map to their codes', () => {
  const blob = encryptShare(x.publicKey, share, random);
  const at = (i: number, v: number): Uint8Array => {
    const t = new Uint8Array(blob);
    t[i] = v;
    return t;
  };
  assertThrowsCode(() => decryptShare(x.privateKey, at(0, 0)), 'RECOVERY_ENVELOPE_MALFORMED');
  assertThrowsCode(() => decryptShare(x.privateKey, at(4, 2)), 'RECOVERY_ENVELOPE_MALFORMED');
  assertThrowsCode(() => decryptShare(x.privateKey, at(5, 9)), 'RECOVERY_ENVELOPE_MALFORMED');
  assertThrowsCode(() => decryptShare(x.privateKey, at(10, blob[10]! ^ 1)), 'RECOVERY_KEY_MISMATCH');
  assertThrowsCode(() => decryptShare(x.privateKey, at(blob.length - 1, blob[blob.length - 1]! ^ 1)), 'RECOVERY_DECRYPT_FAILED');
  // An all-zero (low-order) ephemeral key is refused, not used.
  const zeroEph = new Uint8Array(blob);
  zeroEph.fill(0, 38, 70);
  assertThrowsCode(() => decryptShare(x.privateKey, zeroEph), 'RECOVERY_DECRYPT_FAILED');
});

test('unsupported keys: RSA below 2048 bits, EC, Ed25519, garbage PEM', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assertThrowsCode(() => encryptShare(pem(small.publicKey), share, random), 'RECOVERY_KEY_UNSUPPORTED');
  assertThrowsCode(() => decryptShare(pem(small.privateKey), new Uint8Array(200)), 'RECOVERY_KEY_UNSUPPORTED');
  for (const k of [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('ed25519')]) {
    assertThrowsCode(() => encryptShare(pem(k.publicKey), share, random), 'RECOVERY_KEY_UNSUPPORTED');
    assertThrowsCode(() => decryptShare(pem(k.privateKey), new Uint8Array(100)), 'RECOVERY_KEY_UNSUPPORTED');
  }
  assertThrowsCode(() => encryptShare('not a key', share, random), 'RECOVERY_KEY_UNSUPPORTED');
  assertThrowsCode(() => decryptShare('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', new Uint8Array(100)), 'RECOVERY_KEY_UNSUPPORTED');
});
