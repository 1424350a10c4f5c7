import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationMs, parseTemplate, renderTemplate, templateReferences, type TemplateContext } from '../../src/manifest/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const ctx: TemplateContext = {
  workload: { name: 'api' },
  instance: { id: 'i-7' },
  self: { cert: 'SELF-CERT', key: 'SELF-KEY', ca: 'SELF-CA' },
  secrets: {
    k: { kind: 'bytes', bytes: Uint8Array.of(0x00, 0xff, 0x10) },
    tls: { kind: 'certificate', certPem: CERT, keyPem: KEY },
    pw: undefined,
  },
};
const render = (t: string, c: TemplateContext = ctx) => Buffer.from(renderTemplate(t, c)).toString('latin1');

test('renders every reference kind and format', () => {
  assert.equal(render('{{workload.name}}/{{ instance.id }}'), 'api/i-7');
  assert.equal(render('{{ self.cert }}|{{ self.key }}|{{ self.ca }}'), 'SELF-CERT|SELF-KEY|SELF-CA');
  assert.equal(render('{{ secrets.k.hex }}'), '00ff10');
  assert.equal(render('{{ secrets.k.base64 }}'), 'AP8Q');
  assert.deepEqual(renderTemplate('{{ secrets.k.raw }}', ctx), Uint8Array.of(0x00, 0xff, 0x10));
  assert.equal(render('{{ secrets.tls.cert }}'), CERT);
  assert.equal(render('{{ secrets.tls.key }}'), KEY);
  assert.equal(render('{{ secrets.tls.pem }}'), `${CERT}\n${KEY}`);
});

test('plain text, literal braces and stray closers pass through', () => {
  assert.equal(render(''), '');
  assert.equal(render('no holes }} here'), 'no holes }} here');
  assert.equal(render('{{ "{{" }} x }}'), '{{ x }}');
  assert.equal(render('a{{"b"}}c'), 'abc');
  assert.equal(render('é€'), Buffer.from('é€', 'utf8').toString('latin1'));
});

test('syntax errors', () => {
  for (const t of ['{{ secrets.k.hex', '{{ }}', '{{ secrets..hex }}', '{{ a b }}', '{{ secrets.k.hex | upper }}', '{{ "unterminated }}']) {
    assertThrowsCode(() => parseTemplate(t), 'TEMPLATE_SYNTAX_INVALID', t);
  }
});

test('unknown references at parse time', () => {
  for (const t of ['{{ env.HOME }}', '{{ secrets.k }}', '{{ secrets.k.hex.x }}', '{{ secrets.k.der }}', '{{ self.password }}', '{{ self }}', '{{ workload.id }}', '{{ instance.name }}']) {
    assertThrowsCode(() => parseTemplate(t), 'TEMPLATE_REFERENCE_UNKNOWN', t);
  }
});

test('render-time errors: undeclared, unset, wrong format for the type, no identity', () => {
  assertThrowsCode(() => render('{{ secrets.nope.hex }}'), 'TEMPLATE_REFERENCE_UNKNOWN');
  assertThrowsCode(() => render('{{ secrets.pw.raw }}'), 'TEMPLATE_VALUE_MISSING');
  assertThrowsCode(() => render('{{ secrets.k.pem }}'), 'TEMPLATE_REFERENCE_UNKNOWN');
  assertThrowsCode(() => render('{{ secrets.tls.hex }}'), 'TEMPLATE_REFERENCE_UNKNOWN');
  const { self: _self, ...noSelf } = ctx;
  assertThrowsCode(() => render('{{ self.key }}', noSelf), 'TEMPLATE_VALUE_MISSING');
  // inherited names are not declared secrets
  assertThrowsCode(() => render('{{ secrets.toString.hex }}'), 'TEMPLATE_REFERENCE_UNKNOWN');
});

test('text mode refuses NUL bytes (env, argv)', () => {
  assertThrowsCode(() => renderTemplate('{{ secrets.k.raw }}', ctx, { text: true }), 'TEMPLATE_VALUE_NOT_TEXT');
  assert.equal(Buffer.from(renderTemplate('{{ secrets.k.hex }}', ctx, { text: true })).toString(), '00ff10');
});

test('templateReferences lists references in order', () => {
  assert.deepEqual(templateReferences('{{ self.ca }}x{{ secrets.a-b.base64 }}{{ "{{" }}'), [
    { kind: 'self', field: 'ca' },
    { kind: 'secret', name: 'a-b', format: 'base64' },
  ]);
});

test('durations', () => {
  assert.equal(durationMs('90s'), 90_000);
  assert.equal(durationMs('90m'), 5_400_000);
  assert.equal(durationMs('24h'), 86_400_000);
  assert.equal(durationMs('7d'), 604_800_000);
  assert.equal(durationMs('1h30m'), 5_400_000);
  assert.equal(durationMs('1d12h'), 129_600_000);
  for (const bad of ['', '0s', '0h0m', '24', '1.5h', '30m1h', '1h1h', '-1h', '1y', '1 h', ' 1h', '36500d1s']) {
    assertThrowsCode(() => durationMs(bad), 'DURATION_INVALID', bad);
  }
});

test('self.cert / self.ca render as PEM or as DER in hex, base64 or raw; the key is PEM only', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const { renderTemplate, parseManifest } = await import('../../src/manifest/index.js');
  const { createCa, issueLeaf } = await import('../../src/ca/index.js');
  const now = new Date('2026-01-01T00:00:00Z');
  const ca = await createCa({ name: 'Template Test', now, rootLifetimeMs: 86_400_000, intermediateLifetimeMs: 86_400_000 });
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = await issueLeaf(ca, { publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), subjectCn: 'w', sans: {}, now });
  const ctx = { workload: { name: 'w' }, instance: { id: 'w-0' }, self: { cert: leaf.chainPem, key: 'KEY', ca: ca.root.certPem }, secrets: {} };
  const text = (t: string) => new TextDecoder().decode(renderTemplate(t, ctx));
  assert.equal(text('{{ self.cert }}'), leaf.chainPem);
  assert.equal(text('{{ self.cert.hex }}'), Buffer.from(leaf.certDer).toString('hex'));
  assert.equal(text('{{ self.cert.base64 }}'), Buffer.from(leaf.certDer).toString('base64'));
  assert.deepEqual(Buffer.from(renderTemplate('{{ self.cert.raw }}', ctx)), Buffer.from(leaf.certDer));
  assert.match(text('{{ self.ca.hex }}'), /^30[0-9a-f]+$/);
  assert.throws(() => renderTemplate('{{ self.key.hex }}', ctx), { code: 'TEMPLATE_REFERENCE_UNKNOWN' });
  assert.throws(() => renderTemplate('{{ self.cert.pem }}', ctx), { code: 'TEMPLATE_REFERENCE_UNKNOWN' });
  const pkg = { p: { simulated: { measurements: ['00'.repeat(48)] } } };
  assert.throws(() => parseManifest(JSON.stringify({ packages: pkg, workloads: { w: { package: 'p', env: { C: '{{ self.cert.raw }}' } } } })), { code: 'MANIFEST_INVALID' });
  parseManifest(JSON.stringify({ packages: pkg, workloads: { w: { package: 'p', env: { C: '{{ self.cert.base64 }}' }, files: { '/c.der': '{{ self.cert.raw }}' } } } }));
});
