import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/common/bytes.js';
import { deriveFileKey, deriveKeyId, deriveManifestKey, frame } from '../../src/protect/keys.js';
import { manifestHash, encodeManifest, GENESIS_HASH, MANIFEST_FORMAT } from '../../src/protect/manifest.js';
import { openObject, sealObject } from '../../src/protect/object_file.js';
import { assertThrowsCode } from '../support/assert_code.js';

const KEY = new Uint8Array(32).map((_, i) => i);

// Crypto-determinism regression vectors (the pattern of contrast internal/seedengine/seedengine_test.go).
// DO NOT CHANGE: a different value means existing volumes no longer open.
test('key derivations are pinned', () => {
  assert.equal(toHex(deriveFileKey(KEY, 'vol', 'a/b.txt')), GOLDEN.fileKey);
  assert.equal(toHex(deriveManifestKey(KEY, 'vol')), GOLDEN.manifestKey);
  assert.equal(toHex(deriveKeyId(KEY, 'vol')), GOLDEN.keyId);
  const m = { format: MANIFEST_FORMAT, volumeId: 'vol', version: 1, previousHash: GENESIS_HASH, files: [] } as const;
  assert.equal(manifestHash(encodeManifest(m)), GOLDEN.emptyV1Hash);
});

test('derivations separate volumes, paths and purposes', () => {
  const keys = [
    deriveFileKey(KEY, 'vol', 'a'), deriveFileKey(KEY, 'vol', 'b'), deriveFileKey(KEY, 'vol2', 'a'),
    deriveManifestKey(KEY, 'vol'), deriveFileKey(new Uint8Array(32), 'vol', 'a'),
  ].map(toHex);
  assert.equal(new Set(keys).size, keys.length);
});

test('framing is unambiguous where plain concatenation is not', () => {
  assert.notDeepEqual(frame('l', 'ab', 'c'), frame('l', 'a', 'bc'));
  assert.notDeepEqual(frame('l', 'a'), frame('l', 'a', ''));
});

test('an object opens only under its own volume id, path and version', () => {
  const b = { volumeKey: KEY, volumeId: 'vol', path: 'a.txt', version: 3 };
  const sealed = sealObject(b, new Uint8Array(12), new Uint8Array(Buffer.from('secret')));
  assert.equal(Buffer.from(openObject(b, sealed)).toString(), 'secret');
  for (const other of [{ ...b, path: 'b.txt' }, { ...b, volumeId: 'vol2' }, { ...b, version: 2 }, { ...b, volumeKey: new Uint8Array(32) }]) {
    assertThrowsCode(() => openObject(other, sealed), 'VOLUME_TAMPERED', JSON.stringify({ ...other, volumeKey: undefined }));
  }
  assertThrowsCode(() => openObject(b, sealed.subarray(0, 20)), 'VOLUME_TAMPERED', 'too short');
  const badMagic = sealed.slice();
  badMagic[0]! ^= 1;
  assertThrowsCode(() => openObject(b, badMagic), 'VOLUME_TAMPERED', 'magic');
});

// Cross-checked against an independent Python HKDF (RFC 5869) implementation of the same framing.
const GOLDEN = {
  fileKey: 'e97f759349a246b99362c78de39e5eb007d6ead52e93d87db527515da26291cb',
  manifestKey: 'cfaae31e5732bfa7d11485edb7982a7b1f17683eb4bff30b180235206892f9e9',
  keyId: '0354c0a521afe6895186f35973400f50',
  emptyV1Hash: '4efe45c48d184caca9618d3c9c683ba8459a7150396c0cda97814cb0b07edc14',
};
