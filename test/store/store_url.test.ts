import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_TIMEOUT_MS, parseStoreUrl } from '../../src/store/index.js';
import { parseEtcdOptions } from '../../src/store/etcd_options.js';
import { assertThrowsCode } from '../support/assert_code.js';

/** `--store` URLs: file, etcd://, etcds:// with the TLS files. Pure parsing: no etcd needed. */
const pem = (what: string) => new TextEncoder().encode(`-----BEGIN CERTIFICATE-----\n${what}\n-----END CERTIFICATE-----\n`);
const ca = pem('ca');
const cert = pem('cert');
const key = pem('key');

describe('store URL', () => {
  test("'file' (and 'file://') select the embedded file store", () => {
    assert.deepEqual(parseStoreUrl('file'), { kind: 'file' });
    assert.deepEqual(parseStoreUrl('file://'), { kind: 'file' });
  });

  test('etcd:// with one or several endpoints, default prefix and timeout', () => {
    assert.deepEqual(parseStoreUrl('etcd://127.0.0.1:12379'), { kind: 'etcd', options: { endpoints: ['127.0.0.1:12379'], timeoutMs: DEFAULT_ETCD_TIMEOUT_MS } });
    const s = parseStoreUrl('etcd://127.0.0.1:12379,127.0.0.1:22379,[::1]:32379/');
    assert.equal(s.kind, 'etcd');
    if (s.kind !== 'etcd') return;
    assert.deepEqual(s.options.endpoints, ['127.0.0.1:12379', '127.0.0.1:22379', '[::1]:32379']);
    assert.equal(s.options.prefix, undefined, "'/' alone means the default prefix");
    assert.equal(parseEtcdOptions(s.options).prefix, DEFAULT_ETCD_PREFIX);
    assert.deepEqual(parseEtcdOptions(s.options).hosts, ['http://127.0.0.1:12379', 'http://127.0.0.1:22379', 'http://[::1]:32379']);
  });

  test('Kubernetes DNS names, upper-case scheme and host are normalised', () => {
    const s = parseStoreUrl('ETCD://Cloister-Etcd-0.cloister-etcd.ns.svc:2379,cloister-etcd-1.cloister-etcd.ns.svc:2379');
    assert.ok(s.kind === 'etcd');
    assert.deepEqual(s.options.endpoints, ['cloister-etcd-0.cloister-etcd.ns.svc:2379', 'cloister-etcd-1.cloister-etcd.ns.svc:2379']);
  });

  test('a path is the key prefix', () => {
    const s = parseStoreUrl('etcd://etcd:2379/tenants/blue/');
    assert.ok(s.kind === 'etcd');
    assert.equal(s.options.prefix, '/tenants/blue/');
    assert.equal(parseEtcdOptions(s.options).prefix, '/tenants/blue/');
  });

  test('etcds:// carries the CA and the optional client certificate', () => {
    const server = parseStoreUrl('etcds://etcd-0:2379,etcd-1:2379', { ca });
    assert.ok(server.kind === 'etcd');
    assert.deepEqual(server.options.tls, { ca });
    assert.equal(parseEtcdOptions(server.options).secure, true);
    const mutual = parseStoreUrl('etcds://etcd-0:2379/c/', { ca, cert, key });
    assert.ok(mutual.kind === 'etcd');
    assert.deepEqual(mutual.options.tls, { ca, cert, key });
    const conn = parseEtcdOptions(mutual.options);
    assert.deepEqual(conn.hosts, ['https://etcd-0:2379']);
    assert.ok(conn.credentials?.certChain?.equals(Buffer.from(cert)));
  });

  test('malformed URLs are STORE_URL_INVALID', () => {
    const bad = [
      '', 'etcd', 'etcd:', 'etcd:/h:1', 'http://h:2379', 'https://h:2379', 'etcd3://h:2379', 'file:/var/lib/cloister', 'file:///var/lib/cloister',
      'etcd://', 'etcd:///cloister/', 'etcd://h', 'etcd://h:', 'etcd://:2379', 'etcd://h:0', 'etcd://h:65536', 'etcd://h:123456',
      'etcd://h:2379,', 'etcd://,h:2379', 'etcd://h:2379,,g:2379', 'etcd://h:2379;g:2379', 'etcd://h:2379 ,g:2379', 'etcd://-h:2379', 'etcd://h_1:2379',
      'etcd://::1:2379', 'etcd://[::1]:2379x', 'etcd://user:pass@h:2379', 'etcd://user@h:2379',
      'etcd://h:2379,H:2379', 'etcd://h:2379,h:02379',
      'etcd://h:2379?timeout=5', 'etcd://h:2379/#x', 'etcd://h:2379/cloister', 'etcd://h:2379//', 'etcd://h:2379/a//b/', 'etcd://h:2379/a%2Fb/',
      'etcd://h:2379/a b/', 'etcd://h:2379/a\u0000/', ' etcd://h:2379', 'etcd://h:2379\n',
    ];
    for (const b of bad) assertThrowsCode(() => parseStoreUrl(b), 'STORE_URL_INVALID', JSON.stringify(b));
  });

  test('TLS files that do not fit the URL are STORE_URL_TLS_MISMATCH', () => {
    const cases: Array<[string, Parameters<typeof parseStoreUrl>[1]]> = [
      ['etcd://h:2379', { ca }],
      ['etcd://h:2379', { cert, key }],
      ['file', { ca }],
      ['file', { key }],
      ['etcds://h:2379', {}],
      ['etcds://h:2379', undefined],
      ['etcds://h:2379', { cert, key }],
      ['etcds://h:2379', { ca, cert }],
      ['etcds://h:2379', { ca, key }],
    ];
    for (const [url, tls] of cases) assertThrowsCode(() => parseStoreUrl(url, tls), 'STORE_URL_TLS_MISMATCH', `${url} ${Object.keys(tls ?? {}).join(',')}`);
  });

  test('empty TLS material is refused by the etcd options check', () => {
    assertThrowsCode(() => parseStoreUrl('etcds://h:2379', { ca: new Uint8Array(0) }), 'STORE_ETCD_CONFIG_INVALID');
  });
});
