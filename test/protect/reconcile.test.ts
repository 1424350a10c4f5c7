import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENESIS_HASH, MANIFEST_FORMAT, type VolumeManifest } from '../../src/protect/manifest.js';
import { reconcile } from '../../src/protect/reconcile.js';
import { assertThrowsCode } from '../support/assert_code.js';

const H = (c: string): string => c.repeat(64);
const disk = (version: number, hash: string, previousHash: string): { manifest: VolumeManifest; hash: string } => ({
  manifest: { format: MANIFEST_FORMAT, volumeId: 'v', version, previousHash, files: [] },
  hash,
});

test('fresh, current and roll-forward decisions', () => {
  assert.deepEqual(reconcile('v', undefined, undefined), { kind: 'fresh' });
  assert.deepEqual(reconcile('v', { version: 2, hash: H('b') }, disk(2, H('b'), H('a'))), { kind: 'current' });
  // crash after the manifest of version 3 became durable, before the authority recorded it
  assert.deepEqual(reconcile('v', { version: 2, hash: H('b') }, disk(3, H('c'), H('b'))), { kind: 'roll-forward', from: 2, to: { version: 3, hash: H('c') } });
  // crash during the very first commit: the authority has never heard of the volume
  assert.deepEqual(reconcile('v', undefined, disk(1, H('a'), GENESIS_HASH)), { kind: 'roll-forward', from: 0, to: { version: 1, hash: H('a') } });
});

test('every stale, diverged or unexplained state is refused with its own code', () => {
  const at2 = { version: 2, hash: H('b') };
  assertThrowsCode(() => reconcile('v', at2, undefined), 'VOLUME_MANIFEST_MISSING', 'deleted');
  assertThrowsCode(() => reconcile('v', at2, disk(1, H('a'), GENESIS_HASH)), 'VOLUME_ROLLBACK_DETECTED', 'older');
  assertThrowsCode(() => reconcile('v', at2, disk(2, H('d'), H('a'))), 'VOLUME_FORK_DETECTED', 'same version, other hash');
  assertThrowsCode(() => reconcile('v', at2, disk(3, H('c'), H('d'))), 'VOLUME_FORK_DETECTED', 'next version not chained');
  assertThrowsCode(() => reconcile('v', at2, disk(4, H('e'), H('c'))), 'VOLUME_AHEAD_OF_AUTHORITY', 'two ahead');
  assertThrowsCode(() => reconcile('v', undefined, disk(2, H('b'), H('a'))), 'VOLUME_AHEAD_OF_AUTHORITY', 'unknown to the authority');
  assertThrowsCode(() => reconcile('v', undefined, disk(1, H('a'), H('f'))), 'VOLUME_FORK_DETECTED', 'version 1 not from genesis');
});
