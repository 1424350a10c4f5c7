import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { canonicalJson, manifestHash, parseManifest, validateManifest } from '../../src/manifest/index.js';
import { baseManifest } from './support.js';

const DEMO = new URL('../../examples/demo/manifest.yaml', import.meta.url);

// Manifest hash regression pin. DO NOT CHANGE to make a failing test pass: a different hash for
// the same file means the canonical form (schema defaults, normalization, JCS) changed, and every
// deployed manifest hash that clients pinned would stop matching. Update it ONLY together with a
// deliberate edit of examples/demo/manifest.yaml.
const DEMO_MANIFEST_HASH = 'd5f9861fc94ada6a489a55ef1eeecf2d1d02bece39a7def9bdd49ce1e1e44802';

test('golden: the demo manifest hash', () => {
  const m = parseManifest(readFileSync(DEMO, 'utf8'));
  assert.equal(manifestHash(m), DEMO_MANIFEST_HASH);
});

test('the demo manifest has three workloads, the secret kinds and the connections the docs describe', () => {
  const m = parseManifest(readFileSync(DEMO, 'utf8'));
  assert.deepEqual(Object.keys(m.workloads).sort(), ['api', 'client', 'db']);
  assert.deepEqual(new Set(Object.values(m.secrets).map((s) => s.type)), new Set(['symmetric-key', 'certificate', 'random', 'user']));
  assert.ok(Object.values(m.secrets).some((s) => s.scope === 'per-instance'));
  assert.deepEqual(m.connections, [{ from: 'client', to: 'api' }, { from: 'api', to: 'db' }]);
  for (const p of Object.values(m.packages)) assert.ok(p.simulated !== undefined);
});

test('the same document as YAML and as JSON hashes the same', () => {
  const m = parseManifest(readFileSync(DEMO, 'utf8'));
  const asJson = JSON.stringify(m, null, 2);
  assert.equal(manifestHash(parseManifest(asJson, 'json')), DEMO_MANIFEST_HASH);
  assert.equal(manifestHash(parseManifest(stringify(m), 'yaml')), DEMO_MANIFEST_HASH);
});

test('key order, hex case and spelled-out defaults do not change the hash', () => {
  const base = baseManifest();
  const h = manifestHash(validateManifest(base));
  const reordered = Object.fromEntries(Object.entries(baseManifest()).reverse());
  assert.equal(manifestHash(validateManifest(reordered)), h);
  const upper = baseManifest();
  upper.packages.app.simulated.measurements = upper.packages.app.simulated.measurements.map((s: string) => s.toUpperCase());
  assert.equal(manifestHash(validateManifest(upper)), h);
  const explicit = baseManifest();
  explicit.config = { certLifetime: '24h' };
  explicit.secrets.k.scope = 'shared';
  explicit.workloads.db = { package: 'app', files: {}, env: {}, argv: [] };
  assert.equal(manifestHash(validateManifest(explicit)), h);
});

test('any change of meaning changes the hash', () => {
  const h = manifestHash(validateManifest(baseManifest()));
  const changes: Array<(m: Record<string, any>) => void> = [
    (m) => (m.packages.app.simulated.measurements[0] = 'ac'.repeat(48)),
    (m) => (m.workloads.api.argv[0] = '/app2'),
    (m) => (m.config = { certLifetime: '12h' }),
    (m) => (m.secrets.k.size = 128),
    (m) => m.connections.push({ from: 'db', to: 'api' }),
  ];
  for (const change of changes) {
    const m = baseManifest();
    change(m);
    assert.notEqual(manifestHash(validateManifest(m)), h, String(change));
  }
});

test('the hash is SHA-256 over the canonical JSON text', async () => {
  const { createHash } = await import('node:crypto');
  const m = validateManifest(baseManifest());
  assert.equal(manifestHash(m), createHash('sha256').update(canonicalJson(m)).digest('hex'));
});
