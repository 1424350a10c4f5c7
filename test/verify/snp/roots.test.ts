import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AMD_PINNED, SNP_PRODUCTS, pinnedAmdRoots } from '../../../src/verify/snp/index.js';
import { SKIP_NO_VECTORS, VECTORS_DIR } from '../../support/vectors.js';

test('every pinned AMD certificate matches its SHA-256 fingerprint and names its product', () => {
  for (const product of SNP_PRODUCTS) {
    for (const role of ['ark', 'ask', 'asvk'] as const) {
      const pinned = AMD_PINNED[product][role];
      const cert = new X509Certificate(pinned.pem);
      assert.equal(createHash('sha256').update(cert.raw).digest('hex'), pinned.sha256, `${product} ${role}`);
      const cn = { ark: `ARK-${product}`, ask: `SEV-${product}`, asvk: `SEV-VLEK-${product}` }[role];
      assert.ok(cert.subject.endsWith(`CN=${cn}`), `${product} ${role}: ${cert.subject}`);
    }
    const set = pinnedAmdRoots(product);
    assert.ok(set.ark.verify(set.ark.publicKey), `${product} ARK self-signed`);
    assert.ok(set.ask.verify(set.ark.publicKey), `${product} ASK signed by ARK`);
    assert.ok(set.asvk.verify(set.ark.publicKey), `${product} ASVK signed by ARK`);
    for (const other of SNP_PRODUCTS.filter((p) => p !== product)) {
      assert.equal(set.ask.verify(pinnedAmdRoots(other).ark.publicKey), false, `${product} ASK must not verify under ${other} ARK`);
    }
  }
});

test('the pinned fingerprints equal the published ones in shared/vectors/roots/amd', { skip: SKIP_NO_VECTORS }, () => {
  const readme = readFileSync(join(VECTORS_DIR, 'roots', 'README.md'), 'utf8');
  for (const product of SNP_PRODUCTS) {
    for (const role of ['ark', 'ask', 'asvk'] as const) {
      const file = new X509Certificate(readFileSync(join(VECTORS_DIR, 'roots', 'amd', product.toLowerCase(), `${role}.pem`)));
      assert.equal(createHash('sha256').update(file.raw).digest('hex'), AMD_PINNED[product][role].sha256, `${product} ${role}`);
      assert.ok(readme.includes(AMD_PINNED[product][role].sha256), `${product} ${role} listed in README`);
    }
  }
});
