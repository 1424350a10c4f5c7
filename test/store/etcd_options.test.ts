import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { DEFAULT_ETCD_PREFIX, openEtcdStore, type EtcdStoreOptions } from '../../src/store/index.js';
import { parseEtcdOptions } from '../../src/store/etcd_options.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';

/** Option parsing and the no-cluster-at-all case: these need no etcd binary. */
const pem = new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const base: EtcdStoreOptions = { endpoints: ['127.0.0.1:2379'], timeoutMs: 1000 };

describe('etcd store options', () => {
  test('endpoints in all accepted spellings become http(s)://host:port', () => {
    const c = parseEtcdOptions({ ...base, endpoints: ['127.0.0.1:2379', 'http://etcd-0.etcd:2379', '[::1]:12379/'] });
    assert.deepEqual(c.hosts, ['http://127.0.0.1:2379', 'http://etcd-0.etcd:2379', 'http://[::1]:12379']);
    assert.equal(c.prefix, DEFAULT_ETCD_PREFIX);
    assert.equal(c.secure, false);
    assert.equal(c.credentials, undefined);
  });

  test('tls makes every endpoint https and carries CA and client certificate', () => {
    const c = parseEtcdOptions({ ...base, endpoints: ['etcd:2379', 'https://etcd2:2379'], tls: { ca: pem, cert: pem, key: pem } });
    assert.deepEqual(c.hosts, ['https://etcd:2379', 'https://etcd2:2379']);
    assert.equal(c.secure, true);
    assert.ok(c.credentials?.rootCertificate.equals(Buffer.from(pem)));
    assert.ok(c.credentials?.certChain?.equals(Buffer.from(pem)));
    assert.ok(c.credentials?.privateKey?.equals(Buffer.from(pem)));
  });

  test('custom prefixes are accepted when they are /-delimited', () => {
    assert.equal(parseEtcdOptions({ ...base, prefix: '/' }).prefix, '/');
    assert.equal(parseEtcdOptions({ ...base, prefix: '/prod/cloister/' }).prefix, '/prod/cloister/');
  });

  const bad: Array<[string, Partial<EtcdStoreOptions>]> = [
    ['no endpoints', { endpoints: [] }],
    ['endpoint without port', { endpoints: ['127.0.0.1'] }],
    ['endpoint with port 0', { endpoints: ['127.0.0.1:0'] }],
    ['endpoint with port 70000', { endpoints: ['127.0.0.1:70000'] }],
    ['endpoint with other scheme', { endpoints: ['etcd://127.0.0.1:2379'] }],
    ['endpoint with a path', { endpoints: ['http://127.0.0.1:2379/v3'] }],
    ['mixed http and https', { endpoints: ['http://a:1', 'https://b:1'] }],
    ['tls with an http endpoint', { endpoints: ['http://a:1'], tls: { ca: pem } }],
    ['tls without a CA', { tls: { ca: new Uint8Array(0) } }],
    ['client cert without key', { tls: { ca: pem, cert: pem } }],
    ['client key without cert', { tls: { ca: pem, key: pem } }],
    ['prefix without leading /', { prefix: 'cloister/' }],
    ['prefix without trailing /', { prefix: '/cloister' }],
    ['prefix with empty segment', { prefix: '/a//b/' }],
    ['prefix with control character', { prefix: '/a\n/' }],
    ['timeout 0', { timeoutMs: 0 }],
    ['fractional timeout', { timeoutMs: 1.5 }],
    ['timeout over 10 minutes', { timeoutMs: 600_001 }],
  ];
  for (const [name, o] of bad) {
    test(`rejects ${name}`, () => {
      assertThrowsCode(() => parseEtcdOptions({ ...base, ...o }), 'STORE_ETCD_CONFIG_INVALID', name);
    });
  }
});

/** A port nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

describe('etcd store without a cluster', () => {
  // Guarded by the test timeout (a hang fails it), not by a timing assertion.
  test('open rejects STORE_ETCD_UNAVAILABLE once the timeout runs out', { timeout: 20_000 }, async () => {
    const endpoints = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`];
    const err = await assertRejectsCode(() => openEtcdStore({ endpoints, timeoutMs: 300 }), 'STORE_ETCD_UNAVAILABLE');
    assert.equal(err.detail?.['timeoutMs'], 300);
    assert.deepEqual(err.detail?.['endpoints'], endpoints);
  });

  test('invalid options are rejected before connecting', async () => {
    await assertRejectsCode(() => openEtcdStore({ endpoints: ['nope'], timeoutMs: 300 }), 'STORE_ETCD_CONFIG_INVALID');
  });
});
