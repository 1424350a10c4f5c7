import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { parseManifest, validateManifest, type ManifestIssue } from '../../src/manifest/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { M32, M48, baseManifest } from './support.js';

/** The issues of an invalid manifest (asserting the code). */
function issuesOf(value: unknown): ManifestIssue[] {
  const e = assertThrowsCode(() => (typeof value === 'string' ? parseManifest(value) : validateManifest(value)), 'MANIFEST_INVALID');
  return (e.detail as { issues: ManifestIssue[] }).issues;
}

function withChange(change: (m: Record<string, any>) => void): Record<string, any> {
  const m = baseManifest();
  change(m);
  return m;
}

/** Asserts there is an issue at exactly `path` whose message matches `re`. */
function assertIssue(value: unknown, path: string, re: RegExp): void {
  const issues = issuesOf(value);
  assert.ok(
    issues.some((i) => i.path === path && re.test(i.message)),
    `want an issue at '${path}' matching ${re}, got ${JSON.stringify(issues)}`,
  );
}

test('a valid manifest parses, with defaults applied', () => {
  const m = validateManifest(baseManifest());
  assert.equal(m.config.certLifetime, '24h');
  assert.deepEqual(m.workloads.db, { package: 'app', files: {}, env: {}, argv: [] });
  assert.equal(m.secrets.k!.scope, 'shared');
  assert.deepEqual(m.secrets.pw, { type: 'user', maxSize: 65536, scope: 'shared' });
  const tls = m.secrets.tls!;
  assert.equal(tls.type === 'certificate' && tls.ca, false);
});

test('hex is normalized to lowercase; SGX defaults state the effective policy', () => {
  const m = validateManifest(withChange((x) => (x.packages.sgx = { sgx: { mrenclave: [M32.toUpperCase()] } })));
  assert.deepEqual(m.packages.sgx!.sgx, { mrenclave: [M32], debug: false, acceptedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'] });
});

test('every TEE kind parses with its fields', () => {
  const m = validateManifest(
    withChange((x) => {
      x.packages = {
        s: { sgx: { mrsigner: [M32], productId: 1, minSecurityVersion: 2, debug: true, acceptedTcbStatuses: ['UpToDate'] } },
        n: { snp: { measurements: [M48], hostData: [M32], minimumTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 }, products: ['Milan', 'Genoa'], vmpl: [0] } },
        t: { tdx: { mrtd: [M48], rtmr0: [M48], rtmr3: [M48], mrConfigId: [M48], minimumTeeTcbSvn: '03000000000000000000000000000000' } },
        app: { simulated: { measurements: [M48, 'ef'.repeat(48)] } },
      };
    }),
  );
  assert.equal(m.packages.n!.snp!.debug, false);
  assert.equal(m.packages.t!.tdx!.debug, false);
});

test('unknown keys are rejected at their exact path', () => {
  assertIssue(withChange((x) => (x.workloads.api.bogus = 1)), 'workloads.api.bogus', /unknown key 'bogus'/);
  assertIssue(withChange((x) => (x.packages.app.simulated.mrenclave = [M32])), 'packages.app.simulated.mrenclave', /unknown key/);
  assertIssue(withChange((x) => (x.extra = {})), 'extra', /unknown key/);
  assertIssue(withChange((x) => (x.config = { certLifetime: '1h', colour: 'red' })), 'config.colour', /unknown key/);
});

test('packages: exactly one TEE, SGX identity rules, hex lengths, duplicates, debug', () => {
  assertIssue(withChange((x) => (x.packages.app = {})), 'packages.app', /exactly one TEE.*none/);
  assertIssue(withChange((x) => (x.packages.app.sgx = { mrenclave: [M32] })), 'packages.app', /sgx and simulated/);
  assertIssue(withChange((x) => (x.packages.app = { sgx: { debug: false } })), 'packages.app.sgx', /needs mrenclave, or mrsigner with productId/);
  assertIssue(withChange((x) => (x.packages.app = { sgx: { mrsigner: [M32] } })), 'packages.app.sgx.productId', /required with mrsigner/);
  assertIssue(withChange((x) => (x.packages.app.simulated.measurements = ['ab'])), 'packages.app.simulated.measurements.0', /96 hex digits/);
  assertIssue(withChange((x) => (x.packages.app.simulated.measurements = ['zz'.repeat(48)])), 'packages.app.simulated.measurements.0', /not hex/);
  assertIssue(withChange((x) => (x.packages.app.simulated.measurements = [])), 'packages.app.simulated.measurements', /at least one/);
  assertIssue(withChange((x) => (x.packages.app.simulated.measurements = [M48, M48.toUpperCase()])), 'packages.app.simulated.measurements.1', /duplicate of entry 0/);
  assertIssue(withChange((x) => (x.packages.app = { snp: { measurements: [M48], debug: true } })), 'packages.app.snp.debug', /never accepted/);
  assertIssue(withChange((x) => (x.packages.app = { tdx: { mrtd: [M48], debug: true } })), 'packages.app.tdx.debug', /never accepted/);
  assertIssue(withChange((x) => (x.packages.app = { snp: { measurements: [M48], vmpl: [4] } })), 'packages.app.snp.vmpl.0', /./);
  assertIssue(withChange((x) => (x.packages.app = { snp: { measurements: [M48], products: ['Naples'] } })), 'packages.app.snp.products.0', /./);
  assertIssue(withChange((x) => (x.packages.app = { sgx: { mrenclave: [M32], acceptedTcbStatuses: ['Fine'] } })), 'packages.app.sgx.acceptedTcbStatuses.0', /./);
  assertIssue(withChange((x) => (x.packages['bad.name'] = x.packages.app)), 'packages.bad.name', /invalid key/);
});

test('a YAML number where hex belongs gets a hint to quote it', () => {
  const yaml = stringify(baseManifest()).replace(M48, '0'.repeat(96));
  assert.ok(yaml.includes(`- "${'0'.repeat(96)}"`) || yaml.includes(`- ${'0'.repeat(96)}`));
  const unquoted = yaml.replace(`"${'0'.repeat(96)}"`, '0'.repeat(96));
  assertIssue(unquoted, 'packages.app.simulated.measurements.0', /quote hex values in YAML/);
});

test('workloads: names, package reference, files, env, argv, certificate', () => {
  assertIssue(withChange((x) => (x.workloads.api.package = 'nope')), 'workloads.api.package', /package 'nope' is not declared/);
  assertIssue(withChange((x) => (x.workloads.API = x.workloads.api)), 'workloads.API', /DNS label/);
  assertIssue(withChange((x) => (x.workloads.api.files = { 'etc/x': 'a' })), 'workloads.api.files.etc/x', /must be absolute/);
  assertIssue(withChange((x) => (x.workloads.api.files = { '/etc/../x': 'a' })), 'workloads.api.files./etc/../x', /'\.\.' segment/);
  assertIssue(withChange((x) => (x.workloads.api.files = { '/etc/': 'a' })), 'workloads.api.files./etc/', /not end with/);
  assertIssue(withChange((x) => (x.workloads.api.files = { '/etc/x': 3 })), 'workloads.api.files./etc/x', /template must be a string/);
  assertIssue(withChange((x) => (x.workloads.api.env = { '1X': 'a' })), 'workloads.api.env.1X', /environment variable name/);
  assertIssue(withChange((x) => (x.workloads.api.argv = ['ok', '{{ self.cert'])), 'workloads.api.argv.1', /without a closing/);
  assertIssue(withChange((x) => (x.workloads.api.maxActivations = 0)), 'workloads.api.maxActivations', /./);
  assertIssue(withChange((x) => (x.workloads.api.certificate = { lifetime: '1y' })), 'workloads.api.certificate.lifetime', /not a duration/);
  assertIssue(withChange((x) => (x.workloads.api.certificate = { sans: { dns: ['a..b'] } })), 'workloads.api.certificate.sans.dns.0', /not a DNS name/);
  assertIssue(withChange((x) => (x.workloads.api.certificate = { sans: { ip: ['1.2.3'] } })), 'workloads.api.certificate.sans.ip.0', /not an IPv4 or IPv6/);
  assertIssue(withChange((x) => (x.workloads = {})), 'workloads', /at least one workload/);
});

test('templates: undeclared secrets, formats per type, binary in env/argv', () => {
  const file = (t: string) => withChange((x) => (x.workloads.api.files = { '/etc/x': t }));
  assertIssue(file('{{ secrets.nope.hex }}'), 'workloads.api.files./etc/x', /secret 'nope', which is not declared/);
  assertIssue(file('{{ secrets.k.pem }}'), 'workloads.api.files./etc/x', /symmetric-key secret supports \.hex, \.base64, \.raw/);
  assertIssue(file('{{ secrets.tls.hex }}'), 'workloads.api.files./etc/x', /certificate secret supports \.cert, \.key, \.pem/);
  assertIssue(file('{{ secrets.k.der }}'), 'workloads.api.files./etc/x', /format 'der'/);
  assertIssue(file('{{ self.password }}'), 'workloads.api.files./etc/x', /self\.cert/);
  assertIssue(
    withChange((x) => (x.workloads.api.env = { KEY: '{{ secrets.k.raw }}' })),
    'workloads.api.env.KEY',
    /binary.*use \.hex or \.base64/,
  );
  // a user secret is text the user chose: raw is fine in env
  validateManifest(withChange((x) => (x.workloads.api.env = { PW: '{{ secrets.pw.raw }}' })));
  validateManifest(file('{{ secrets.k.raw }}{{ secrets.tls.pem }}{{ self.ca }}'));
});

test('secrets: types, sizes, scopes, durations, subjects', () => {
  const secret = (s: unknown) => withChange((x) => (x.secrets.k = s));
  assertIssue(secret({ type: 'symmetric-key', size: 100 }), 'secrets.k.size', /./);
  assertIssue(secret({ type: 'symmetric-key', size: 260 }), 'secrets.k.size', /multiple of 8/);
  assertIssue(secret({ type: 'magic' }), 'secrets.k.type', /'symmetric-key', 'certificate', 'random' or 'user'/);
  assertIssue(secret({ type: 'random', size: 0 }), 'secrets.k.size', /./);
  assertIssue(secret({ type: 'random', size: 16, scope: 'global' }), 'secrets.k.scope', /./);
  assertIssue(secret({ type: 'certificate', keyType: 'dsa', validity: '1d' }), 'secrets.k.keyType', /./);
  assertIssue(secret({ type: 'certificate', keyType: 'ed25519', validity: '1 day' }), 'secrets.k.validity', /not a duration/);
  assertIssue(secret({ type: 'certificate', keyType: 'ed25519', validity: '1d', subject: 'api' }), 'secrets.k.subject', /distinguished name/);
  assertIssue(withChange((x) => (x.secrets.pw.scope = 'per-instance')), 'secrets.pw.scope', /cannot be 'per-instance'/);
  assertIssue(secret({ type: 'certificate', keyType: 'ed25519', validity: '1d', extra: true }), 'secrets.k.extra', /unknown key/);
});

test('connections name declared workloads, once', () => {
  assertIssue(withChange((x) => x.connections.push({ from: 'ghost', to: 'db' })), 'connections.1.from', /'ghost' is not declared/);
  assertIssue(withChange((x) => x.connections.push({ from: 'api', to: 'ghost' })), 'connections.1.to', /'ghost' is not declared/);
  assertIssue(withChange((x) => x.connections.push({ from: 'api', to: 'db' })), 'connections.1', /duplicate of connection 0/);
  assertIssue(withChange((x) => x.connections.push({ from: 'api' })), 'connections.1.to', /missing/);
});

test('all problems of a stage are reported at once', () => {
  const issues = issuesOf(
    withChange((x) => {
      x.workloads.api.package = 'nope';
      x.connections.push({ from: 'ghost', to: 'db' });
      x.workloads.api.files = { '/x': '{{ secrets.none.hex }}' };
    }),
  );
  assert.deepEqual(issues.map((i) => i.path).sort(), ['connections.1.from', 'workloads.api.files./x', 'workloads.api.package']);
});

test('text problems: bad JSON, bad YAML, duplicate keys, __proto__, required sections', () => {
  assertIssue('{"packages": ', '', /not valid JSON/);
  assertIssue('packages: [\n', '', /not valid YAML/);
  assertIssue('packages: {}\npackages: {}\n', '', /not valid YAML/);
  assertIssue('{"packages": {}, "workloads": {}, "packages": {}}', '', /duplicate key/);
  assertIssue('{"packages": {"__proto__": {}}, "workloads": {}}', 'packages.__proto__', /not allowed/);
  assertIssue('packages:\n  __proto__: {}\nworkloads: {}\n', 'packages.__proto__', /not allowed/);
  assertIssue('{}', 'packages', /required section is missing/);
  assertIssue('[]', '', /./);
  assertIssue('', '', /./);
});

test('JSON and YAML inputs give the same manifest; format can be forced', () => {
  const json = JSON.stringify(baseManifest());
  const yaml = stringify(baseManifest());
  assert.deepEqual(parseManifest(json), parseManifest(yaml));
  assert.deepEqual(parseManifest(json, 'yaml'), parseManifest(yaml, 'yaml'));
  assertThrowsCode(() => parseManifest(yaml, 'json'), 'MANIFEST_INVALID');
});

test('duplicate JSON keys are found at any depth, also when spelled with escapes', () => {
  assertIssue('{"packages": {"a": {}, "b": {}, "\\u0061": {}}, "workloads": {}}', '', /duplicate key 'a'/);
  assertIssue('{"workloads": {"w": {"env": {"X": "1", "X" : "2"}}}, "packages": {}}', '', /duplicate key 'X'/);
  // the same key in sibling objects, in arrays, or as a string value is fine
  const ok = JSON.stringify({ ...baseManifest(), connections: [{ from: 'api', to: 'db' }, { from: 'db', to: 'api' }] });
  validateManifest(JSON.parse(ok));
  parseManifest(ok.replace('"from":"api"', '"from" : "api"'));
  parseManifest(JSON.stringify(baseManifest()).replace('{{ workload.name }}', 'quote \\" and {\\"k\\":1}'));
});

test('property: JSON.stringify output never has duplicate keys; an injected duplicate is always found', async () => {
  const { findDuplicateJsonKey } = await import('../../src/manifest/json_duplicates.js');
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.jsonValue(), fc.string(), (v, k) => {
      assert.equal(findDuplicateJsonKey(JSON.stringify(v, null, 1)), undefined);
      const dup = `{${JSON.stringify(k)}:1,"x":${JSON.stringify(v)},${JSON.stringify(k)} :2}`;
      assert.equal(findDuplicateJsonKey(dup)?.key, k);
    }),
    { numRuns: 300 },
  );
});
