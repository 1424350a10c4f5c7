import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as cloister from '../../src/index.js';

test('the package entry exports verifyEvidence and the main library API', async () => {
  for (const name of ['verifyEvidence', 'createVerifier', 'issueToken', 'verifyToken', 'parseDcapQuote', 'parseSnpReport', 'parseManifest', 'startCoordinator', 'openProtectedVolume']) {
    assert.equal(typeof (cloister as Record<string, unknown>)[name], 'function', name);
  }
  const r = await cloister.verifyEvidence(new Uint8Array(10));
  assert.equal(r.ok, false);
  assert.equal(r.ok === false && r.error.code, 'EVIDENCE_FORMAT_UNKNOWN');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { main: string; bin: Record<string, string>; engines: { node: string } };
  assert.equal(pkg.main, './dist/src/index.js');
  assert.equal(pkg.bin.cloister, './bin/cloister.js');
  assert.equal(pkg.engines.node, '>=20');
});
