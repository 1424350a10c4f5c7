import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { runCli } from '../support/cli_run.js';
import { SKIP_NO_VECTORS, vectorPath } from '../support/vectors.js';
import { config, KATA_POLICY, MANIFEST, pod } from './support/fixtures.js';
import { generateWebhookTls, initdataDigest, workloadInitdata } from '../../src/k8s/index.js';
import { parseManifest } from '../../src/manifest/index.js';

/** The `cloister k8s` commands end to end (in-process), including exit codes. */
const dir = mkdtempSync(join(tmpdir(), 'cloister-k8s-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('cloister k8s', () => {
  test('install prints objects whose generated TLS chain verifies against the generated CA bundle', async () => {
    const r = await runCli('k8s', 'install', '--namespace', 'prod', '--coordinator-runtime-class', 'kata-qemu-snp');
    assert.equal(r.code, 0, r.stderr);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS()) as any[];
    const secret = objects.find((o) => o.kind === 'Secret');
    const cfg = objects.find((o) => o.kind === 'MutatingWebhookConfiguration');
    const ca = new X509Certificate(Buffer.from(cfg.webhooks[0].clientConfig.caBundle, 'base64'));
    const [leafPem, interPem] = (secret.stringData['tls.crt'] as string).split(/(?<=-----END CERTIFICATE-----\n)/);
    const inter = new X509Certificate(interPem!);
    assert.ok(new X509Certificate(leafPem!).verify(inter.publicKey) && inter.verify(ca.publicKey));
    assert.equal(new X509Certificate(leafPem!).checkHost('cloister-webhook.prod.svc'), 'cloister-webhook.prod.svc');
  });

  test('install --apply without kubectl fails with a clear code (exit 1); bad options are usage errors (exit 2)', async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      const r = await runCli('k8s', 'install', '--simulation', '--apply');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /K8S_KUBECTL_FAILED/);
    } finally {
      process.env.PATH = path;
    }
    const bad: string[][] = [
      [], // outside simulation the coordinator needs a TEE
      ['--simulation', '--sgx-plugin', 'azure'],
      ['--simulation', '--namespace', 'Bad_NS'],
      ['--simulation', '--webhook-replicas', 'two'],
      ['--simulation', '--default-epc', 'lots'],
      ['--simulation', '--sgx-toleration', 'sgx'],
      ['--simulation', '--initdata-algorithm', 'md5'],
      ['--coordinator-runtime-class', 'kata-qemu-snp', '--coordinator-sgx'],
    ];
    for (const args of bad) {
      const r = await runCli('k8s', 'install', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /K8S_(CONFIG|QUANTITY)_INVALID/, args.join(' '));
      assert.equal(r.stdout, '', 'nothing rendered');
    }
    const unreadable = await runCli('k8s', 'install', '--simulation', '--kata-policy', join(dir, 'missing.rego'));
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /INPUT_UNREADABLE/);
  });

  test('webhook: bad --listen, bad TLS and a port in use are typed errors with exit 2', async () => {
    const tls = await generateWebhookTls({ namespace: 'cloister', now: new Date() });
    const cert = file('tls.crt', tls.certChainPem);
    const key = file('tls.key', tls.keyPem);
    const manifest = file('wh-manifest.json', JSON.stringify(MANIFEST));
    const base = ['k8s', 'webhook', '--coordinator', 'https://c.cloister.svc:4433', '--launcher-image', 'l:1', '--manifest', manifest];
    for (const listen of ['127.0.0.1:70000', '127.0.0.1:0', 'nohost', '127.0.0.1:http']) {
      const r = await runCli(...base, '--tls-cert', cert, '--tls-key', key, '--listen', listen);
      assert.equal(r.code, 2, listen);
    }
    const r2 = await runCli(...base, '--tls-cert', cert, '--tls-key', key, '--sgx-plugin', 'azure');
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /K8S_CONFIG_INVALID/);
    const missing = await runCli(...base, '--tls-cert', join(dir, 'nope.crt'), '--tls-key', key);
    assert.equal(missing.code, 2);
    const other = await generateWebhookTls({ namespace: 'cloister', now: new Date() });
    const wrongKey = await runCli(...base, '--tls-cert', cert, '--tls-key', file('other.key', other.keyPem), '--listen', '127.0.0.1:1');
    assert.equal(wrongKey.code, 2, wrongKey.stderr);
    assert.match(wrongKey.stderr, /K8S_TLS_INVALID/);
    const garbage = await runCli(...base, '--tls-cert', file('garbage.crt', 'not a certificate'), '--tls-key', key, '--listen', '127.0.0.1:1');
    assert.match(garbage.stderr, /K8S_TLS_INVALID/);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const inUse = await runCli(...base, '--tls-cert', cert, '--tls-key', key, '--listen', `127.0.0.1:${port}`);
      assert.equal(inUse.code, 2);
      assert.match(inUse.stderr, /K8S_LISTEN_FAILED/);
      assert.match(inUse.stderr, /EADDRINUSE/);
    } finally {
      busy.close();
    }
  });

  test('initdata of the Kata example pod: digest and reference values', { skip: SKIP_NO_VECTORS }, async () => {
    const r = await runCli('k8s', 'initdata', vectorPath('policy/kata', 'pod-one-container.yaml'));
    assert.equal(r.code, 0, r.stderr);
    const sha = '38367f88f4b1d9fea79c6750b2755bbc58609a5d8b15f58e89646cf46ff2036e';
    const snippet = parseAllDocuments(r.stdout)[0]!.toJS() as any;
    assert.deepEqual(snippet.packages.PACKAGE.snp.hostData, [sha]);
    assert.deepEqual(snippet.packages.PACKAGE.tdx.mrConfigId, [sha + '00'.repeat(16)]);
  });

  test('initdata of a Deployment without annotation: built as the webhook builds it, for the workload package', async () => {
    const manifest = file('manifest.json', JSON.stringify(MANIFEST));
    const policy = file('policy.rego', KATA_POLICY);
    const p = pod({ workload: 'db' });
    const deployment = file('deploy.yaml', stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db' }, spec: { template: { metadata: p.metadata, spec: p.spec } } }));
    const coordinator = 'https://cloister-coordinator.cloister.svc:4433';
    const r = await runCli('k8s', 'initdata', deployment, '--manifest', manifest, '--coordinator', coordinator, '--kata-policy', policy);
    assert.equal(r.code, 0, r.stderr);
    const want = initdataDigest(workloadInitdata(config(), 'db'));
    const snippet = parseAllDocuments(r.stdout)[0]!.toJS() as any;
    assert.deepEqual(snippet.packages, { snpvm: { snp: { hostData: [want.snpHostData] } } });
    const missing = await runCli('k8s', 'initdata', deployment);
    assert.equal(missing.code, 2);
    const sgx = file('sgx.yaml', stringify(pod({ workload: 'web' })));
    const notVm = await runCli('k8s', 'initdata', sgx, '--manifest', manifest, '--coordinator', coordinator, '--kata-policy', policy);
    assert.equal(notVm.code, 2);
    const none = await runCli('k8s', 'initdata', file('empty.yaml', 'kind: ConfigMap\n'));
    assert.equal(none.code, 2);
  });
  test('initdata --write-manifest adds the reference value to the package (YAML or JSON as given); unknown workload: exit 1', async () => {
    const policy = file('policy2.rego', KATA_POLICY);
    const coordinator = 'https://cloister-coordinator.cloister.svc:4433';
    const want = initdataDigest(workloadInitdata(config(), 'db'));
    const other = 'ab'.repeat(32);
    const yamlIn = file('m.yaml', `# reviewed by ops\n${stringify({ ...MANIFEST, packages: { ...MANIFEST.packages, snpvm: { snp: { ...MANIFEST.packages.snpvm!.snp, hostData: [other] } } } })}`);
    const podFile = file('db.yaml', stringify(pod({ workload: 'db' })));
    const out = join(dir, 'm-out.yaml');
    const r = await runCli('k8s', 'initdata', podFile, '--manifest', yamlIn, '--coordinator', coordinator, '--kata-policy', policy, '--write-manifest', out);
    assert.equal(r.code, 0, r.stderr);
    const written = readFileSync(out, 'utf8');
    assert.match(written, /^# reviewed by ops/, 'YAML comments survive');
    assert.deepEqual(parseManifest(written).packages.snpvm!.snp!.hostData, [other, want.snpHostData], 'added, others kept');
    // TDX workload from a JSON manifest: JSON out, mrConfigId
    const jsonIn = file('m.json', JSON.stringify(MANIFEST));
    const jsonOut = join(dir, 'm-out.json');
    const tdx = await runCli('k8s', 'initdata', file('api.yaml', stringify(pod({ workload: 'api' }))), '--manifest', jsonIn, '--coordinator', coordinator, '--kata-policy', policy, '--write-manifest', jsonOut);
    assert.equal(tdx.code, 0, tdx.stderr);
    const jsonText = readFileSync(jsonOut, 'utf8');
    assert.doesNotThrow(() => JSON.parse(jsonText));
    assert.deepEqual(parseManifest(jsonText).packages.tdvm!.tdx!.mrConfigId, [initdataDigest(workloadInitdata(config(), 'api')).tdxMrConfigId]);
    // running it again changes nothing
    const again = await runCli('k8s', 'initdata', podFile, '--manifest', out, '--coordinator', coordinator, '--kata-policy', policy, '--write-manifest', out);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(out, 'utf8'), written);
    // the manifest lacks the workload
    const unknown = await runCli('k8s', 'initdata', file('pay.yaml', stringify(pod({ workload: 'payments' }))), '--manifest', yamlIn, '--coordinator', coordinator, '--kata-policy', policy, '--write-manifest', join(dir, 'never.yaml'));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /K8S_WORKLOAD_UNKNOWN/);
    assert.throws(() => readFileSync(join(dir, 'never.yaml')), 'nothing written');
    const noManifest = await runCli('k8s', 'initdata', podFile, '--coordinator', coordinator, '--kata-policy', policy, '--write-manifest', out);
    assert.equal(noManifest.code, 2);
  });
});
