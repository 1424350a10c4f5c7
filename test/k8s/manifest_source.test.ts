import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../src/coordinator/index.js';
import { fetchAttestedManifest, loadManifestFile, pollManifest, type LoadedManifest } from '../../src/k8s/index.js';
import { request, attestCoordinator } from '../../src/runtime/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { MANIFEST, MANIFEST_HASH } from './support/fixtures.js';

/** Where the webhook gets its manifest: a file, or the attested coordinator (simulation mode here). */
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
let dir: string;
let coord: RunningCoordinator;

describe('manifest sources', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-k8s-ms-'));
    coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir: join(dir, 'platform'), port: 0, log: pino({ level: 'silent' }) });
  });
  after(async () => {
    await coord?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('attested manifest: refused while the coordinator has none, then the set manifest with its recomputed hash', async () => {
    const o = { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random, timeoutMs: 10_000 };
    await assertRejectsCode(() => fetchAttestedManifest(coord.url, o), 'K8S_MANIFEST_UNAVAILABLE');
    const att = await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random });
    const set = await request('POST', new URL('/api/v1/manifest', coord.url), { manifest: JSON.stringify(MANIFEST) }, { ca: att.rootCaPem, timeoutMs: 10_000 });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const m = await fetchAttestedManifest(coord.url, o);
    assert.equal(m.manifestHash, MANIFEST_HASH);
    // an expected hash that is not the attested one, or a coordinator we cannot attest, is refused
    await assertRejectsCode(() => fetchAttestedManifest(coord.url, { ...o, expectedManifestHash: '00'.repeat(32) }), 'K8S_MANIFEST_UNAVAILABLE');
    await assertRejectsCode(() => fetchAttestedManifest(coord.url, { ...o, simulation: false }), 'K8S_MANIFEST_UNAVAILABLE');
  });

  test('file: parsed and hashed; unreadable or invalid files are refused', async () => {
    const good = join(dir, 'm.json');
    await writeFile(good, JSON.stringify(MANIFEST));
    assert.equal((await loadManifestFile(good)).manifestHash, MANIFEST_HASH);
    await assertRejectsCode(() => loadManifestFile(join(dir, 'absent.yaml')), 'K8S_MANIFEST_UNAVAILABLE');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'packages: 5\n');
    await assertRejectsCode(() => loadManifestFile(bad), 'MANIFEST_INVALID');
  });

  test('the poller keeps the last good manifest when a reload fails', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const loaded: LoadedManifest = { manifest: MANIFEST, manifestHash: MANIFEST_HASH };
    const p = pollManifest(async () => {
      if (fail) throw new Error('gone');
      return loaded;
    }, { intervalMs: 3_600_000, onError: (e) => errors.push(e) });
    assert.equal(p.current(), undefined);
    await p.refresh();
    assert.equal(p.current(), loaded);
    fail = true;
    await p.refresh();
    assert.equal(p.current(), loaded);
    assert.equal(errors.length, 1);
    p.stop();
  });
});
