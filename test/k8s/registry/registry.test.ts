import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  admitPod, createRegistryClient, generateWebhookTls, isDigestPinned, parseImageReference, startWebhook, type EntrypointResolver, type RegistryClient,
} from '../../../src/k8s/index.js';
import { assertRejectsCode, assertThrowsCode } from '../../support/assert_code.js';
import { config, pod, review } from '../support/fixtures.js';
import { call } from '../support/https_client.js';
import { applyPatch } from '../support/json_patch_apply.js';
import { startFakeRegistry, type FakeRegistry } from './fake_registry.js';

/** Image entrypoints from an OCI registry (a fake one on 127.0.0.1 over HTTP), and their use by the webhook. */
let reg: FakeRegistry;
let client: RegistryClient;
// the fixture's workload is SGX: Gramine starts the launcher inside the enclave
const LAUNCH = ['gramine-sgx', 'cloister-launcher', 'run', '--'];

before(async () => {
  reg = await startFakeRegistry();
  client = createRegistryClient({ plainHttpHosts: [reg.host], timeoutMs: 2_000 });
});
after(() => reg.close());

const noCommand = (image: string, extra: Record<string, unknown> = {}) => pod({ workload: 'web', spec: { containers: [{ name: 'web', image, ...extra }] } });

describe('image references', () => {
  test('Docker normalisation, tags, digests', () => {
    assert.deepEqual(parseImageReference('nginx'), { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest' });
    assert.deepEqual(parseImageReference('docker.io/bitnami/redis:7.2'), { registry: 'registry-1.docker.io', repository: 'bitnami/redis', tag: '7.2' });
    const d = `sha256:${'ab'.repeat(32)}`;
    assert.deepEqual(parseImageReference(`ghcr.io/org/app:1.0@${d}`), { registry: 'ghcr.io', repository: 'org/app', tag: '1.0', digest: d });
    assert.deepEqual(parseImageReference('localhost:5000/x'), { registry: 'localhost:5000', repository: 'x', tag: 'latest' });
    for (const bad of ['UPPER/app', `app@sha256:${'AB'.repeat(32)}`, 'app@sha256:12', 'app:', 'a//b']) assertThrowsCode(() => parseImageReference(bad), 'K8S_ENTRYPOINT_UNRESOLVED', bad);
    assert.equal(isDigestPinned(`app@${d}`), true);
    assert.equal(isDigestPinned('app:1.0'), false);
  });
});

describe('registry client', () => {
  test('an index with several platforms: linux/amd64 is picked, after the anonymous token challenge; then cached by digest', async () => {
    reg.requests.length = 0;
    const e = await client.imageEntrypoint(`${reg.host}/app@${reg.digests.appIndex}`);
    assert.deepEqual(e, { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'], digest: reg.digests.appIndex });
    assert.ok(reg.requests.includes('/token'));
    assert.ok(reg.requests.includes(`/v2/app/manifests/${reg.digests.appAmd64}`), 'the amd64 entry, not arm64 or windows');
    const n = reg.requests.length;
    assert.deepEqual(await client.imageEntrypoint(`${reg.host}/app@${reg.digests.appIndex}`), e);
    assert.equal(reg.requests.length, n, 'a pinned image is read once');
    // by tag: the manifest is fetched again (tags move), the token is reused, the config comes from the cache
    reg.requests.length = 0;
    assert.deepEqual(await client.imageEntrypoint(`${reg.host}/app:1.0`), e);
    assert.deepEqual(reg.requests, ['/v2/app/manifests/1.0']);
  });

  test('Docker v2 manifest list and manifest; an image without Entrypoint', async () => {
    const e = await client.imageEntrypoint(`${reg.host}/legacy`);
    assert.deepEqual([e.entrypoint, e.cmd, e.digest], [[], ['/bin/sh', '-c', 'serve'], reg.digests.legacyList]);
  });

  test('missing image, missing platform, digest mismatch, credentials required: K8S_ENTRYPOINT_UNRESOLVED', async () => {
    const missing = await assertRejectsCode(() => client.imageEntrypoint(`${reg.host}/app:2.0`), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(missing.detail?.status, 404);
    const noRepo = await assertRejectsCode(() => client.imageEntrypoint(`${reg.host}/nothing@sha256:${'00'.repeat(32)}`), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(noRepo.detail?.status, 404);
    const arm = await assertRejectsCode(() => client.imageEntrypoint(`${reg.host}/armonly@${reg.digests.armOnly}`), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(arm.detail?.reason, 'platform');
    const tampered = await assertRejectsCode(() => client.imageEntrypoint(`${reg.host}/tampered@${reg.digests.tampered}`), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(tampered.detail?.want, reg.digests.tampered);
    const basic = await assertRejectsCode(() => client.imageEntrypoint(`${reg.host}/private:1`), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(basic.detail?.status, 401);
  });

  test('a registry that does not answer is cut off by the timeout', async () => {
    const quick = createRegistryClient({ plainHttpHosts: [reg.host], timeoutMs: 150 });
    const e = await assertRejectsCode(() => quick.imageEntrypoint(`${reg.host}/slow:1`), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(e.detail?.reason, 'timeout');
    // https is the default: a plain-HTTP registry is only used when named
    await assertRejectsCode(() => createRegistryClient({ timeoutMs: 1_000 }).imageEntrypoint(`${reg.host}/app:1.0`), 'K8S_ENTRYPOINT_UNRESOLVED');
  });
});

describe('webhook use of image entrypoints', () => {
  const pinned = () => `${reg.host}/app@${reg.digests.appIndex}`;

  test('pinned image without command: ENTRYPOINT + CMD, or ENTRYPOINT + args; re-admission needs no registry', async () => {
    const resolver: EntrypointResolver = { registry: client, resolveTags: false };
    const r = await admitPod(noCommand(pinned()), config(), resolver);
    assert.deepEqual(r.pod.spec.containers[0]!.command, [...LAUNCH, '/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    const withArgs = await admitPod(noCommand(pinned(), { args: ['--port', '80'] }), config(), resolver);
    assert.deepEqual(withArgs.pod.spec.containers[0]!.command, [...LAUNCH, '/docker-entrypoint.sh', '--port', '80']);
    reg.requests.length = 0;
    const again = await admitPod(r.pod, config(), { registry: createRegistryClient({ plainHttpHosts: [reg.host] }), resolveTags: false });
    assert.deepEqual(again.pod, r.pod);
    assert.deepEqual(reg.requests, []);
  });

  test('the annotation takes precedence; tags only with resolveTags; a failed lookup is a clear denial', async () => {
    reg.requests.length = 0;
    const annotated = pod({ workload: 'web', annotations: { 'cloister.dev/command': '["/own"]' }, spec: { containers: [{ name: 'web', image: pinned() }] } });
    const r = await admitPod(annotated, config(), { registry: client, resolveTags: true });
    assert.deepEqual(r.pod.spec.containers[0]!.command, [...LAUNCH, '/own']);
    await assertRejectsCode(() => admitPod(noCommand(`${reg.host}/app:1.0`), config(), { registry: client, resolveTags: false }), 'K8S_COMMAND_UNKNOWN');
    await assertRejectsCode(() => admitPod(noCommand(pinned()), config()), 'K8S_COMMAND_UNKNOWN');
    assert.deepEqual(reg.requests, [], 'no registry call for any of these');
    const tagged = await admitPod(noCommand(`${reg.host}/app:1.0`), config(), { registry: client, resolveTags: true });
    assert.equal(tagged.pod.spec.containers[0]!.command![LAUNCH.length], '/docker-entrypoint.sh');
    const denied = await assertRejectsCode(() => admitPod(noCommand(`${reg.host}/app:9.9`), config(), { registry: client, resolveTags: true }), 'K8S_ENTRYPOINT_UNRESOLVED');
    assert.equal(denied.detail?.status, 404);
    // other denials come first: an unknown workload never reaches the registry
    reg.requests.length = 0;
    await assertRejectsCode(() => admitPod(pod({ workload: 'payments', spec: { containers: [{ name: 'web', image: pinned() }] } }), config(), { registry: client, resolveTags: true }), 'K8S_WORKLOAD_UNKNOWN');
    assert.deepEqual(reg.requests, []);
  });

  test('over HTTPS: the webhook server resolves with its resolver', async () => {
    const tls = await generateWebhookTls({ namespace: 'cloister', now: new Date() });
    const server = await startWebhook({
      host: '127.0.0.1', port: 0, tls: { certPem: tls.certChainPem, keyPem: tls.keyPem }, config: config(), entrypoints: { registry: client, resolveTags: false },
    });
    try {
      const obj = noCommand(pinned());
      const res = await call(server.url, { method: 'POST', path: '/mutate', body: JSON.stringify(review(obj)), ca: tls.caPem, servername: 'cloister-webhook.cloister.svc' });
      const json = JSON.parse(res.body);
      assert.equal(json.response.allowed, true);
      const out = applyPatch(obj, JSON.parse(Buffer.from(json.response.patch, 'base64').toString('utf8'))) as any;
      assert.deepEqual(out.spec.containers[0].command, [...LAUNCH, '/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
      const miss = noCommand(`${reg.host}/app@sha256:${'00'.repeat(32)}`);
      const denied = JSON.parse((await call(server.url, { method: 'POST', path: '/mutate', body: JSON.stringify(review(miss)), ca: tls.caPem, servername: 'cloister-webhook.cloister.svc' })).body);
      assert.equal(denied.response.allowed, false);
      assert.match(denied.response.status.message, /^cloister: K8S_ENTRYPOINT_UNRESOLVED:/);
    } finally {
      await server.close();
    }
  });
});
