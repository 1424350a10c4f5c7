import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { runCli } from '../support/cli_run.js';
import { SKIP_NO_VECTORS, vectorPath } from '../support/vectors.js';
import { config, KATA_POLICY, MANIFEST, pod } from './support/fixtures.js';
import { initdataDigest, workloadInitdata } from '../../src/k8s/index.js';

/** The `cloister k8s` commands end to end (in-process), including exit codes. */
const dir = mkdtempSync(join(tmpdir(), 'cloister-k8s-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('cloister k8s', () => {
  test('install prints objects whose generated TLS chain verifies against the generated CA bundle', async () => {
    const r = await runCli('k8s', 'install', '--namespace', 'prod');
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

  test('install --apply without kubectl fails with a clear code (exit 1); bad options are refused', async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      const r = await runCli('k8s', 'install', '--apply');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /K8S_KUBECTL_FAILED/);
    } finally {
      process.env.PATH = path;
    }
    const bad = await runCli('k8s', 'install', '--sgx-plugin', 'azure');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /K8S_CONFIG_INVALID/);
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
});
