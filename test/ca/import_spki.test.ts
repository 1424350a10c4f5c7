import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { importSpki } from '../../src/ca/keys.js';

test('importSpki: P-256/P-384 through the JWK fast path give the same key; other keys through DER', () => {
  for (const key of [
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    generateKeyPairSync('ed25519').publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey,
  ]) {
    const der = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
    const imported = importSpki(der);
    assert.deepEqual(new Uint8Array(imported.export({ type: 'spki', format: 'der' })), der);
    assert.equal(imported.asymmetricKeyType, key.asymmetricKeyType);
  }
});

test('importSpki refuses a point that is not on the curve, on the fast path too', () => {
  const der = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
  der[der.length - 1]! ^= 1; // y no longer fits x
  assert.throws(() => importSpki(new Uint8Array(der)));
});
