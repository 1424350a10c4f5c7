import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  decodeInitdataAnnotation, encodeInitdataAnnotation, generateWebhookTls, initdataDigest, K8sError, startWebhook, workloadInitdata,
  type JsonPatchOp, type WebhookConfig, type WebhookServer,
} from '../../src/k8s/index.js';
import { busyPod, config, COORDINATOR, LAUNCHER_IMAGE, MANIFEST_HASH, pod, review } from './support/fixtures.js';
import { call } from './support/https_client.js';
import { applyPatch } from './support/json_patch_apply.js';
import { validateStrict } from './support/strict_schema.js';

/**
 * The webhook over real HTTPS on 127.0.0.1, with TLS material from generateWebhookTls (the
 * client trusts only the generated CA bundle and checks the Service name, as the API server does).
 */
type Json = Record<string, any>;
const SERVERNAME = 'cloister-webhook.cloister.svc';
let server: WebhookServer;
let ca: string;
let current: WebhookConfig | undefined = config();

before(async () => {
  const tls = await generateWebhookTls({ namespace: 'cloister', now: new Date() });
  ca = tls.caPem;
  server = await startWebhook({
    host: '127.0.0.1',
    port: 0,
    tls: { certPem: tls.certChainPem, keyPem: tls.keyPem },
    config: () => {
      if (current === undefined) throw new K8sError('K8S_MANIFEST_UNAVAILABLE', 'no manifest');
      return current;
    },
  });
});
after(() => server.close());

async function admit(body: unknown, raw?: string): Promise<{ status: number; json: Json }> {
  const r = await call(server.url, { method: 'POST', path: '/mutate', body: raw ?? JSON.stringify(body), ca, servername: SERVERNAME });
  return { status: r.status, json: JSON.parse(r.body) as Json };
}

/** Admits `obj`; returns the patched pod (validated strictly against the Pod schema) and the patch. */
async function mutated(obj: Json, uid = 'uid-1'): Promise<{ pod: Json; patch: JsonPatchOp[] }> {
  const { status, json } = await admit(review(obj, { uid }));
  assert.equal(status, 200);
  assert.equal(json.apiVersion, 'admission.k8s.io/v1');
  assert.equal(json.kind, 'AdmissionReview');
  assert.equal(json.response.uid, uid);
  assert.equal(json.response.allowed, true, JSON.stringify(json.response.status));
  const patch = json.response.patch === undefined ? [] : (JSON.parse(Buffer.from(json.response.patch, 'base64').toString('utf8')) as JsonPatchOp[]);
  if (patch.length > 0) assert.equal(json.response.patchType, 'JSONPatch');
  const out = applyPatch(obj, patch);
  validateStrict(out as Json);
  return { pod: out, patch };
}

async function deniedCode(obj: Json): Promise<string> {
  const { status, json } = await admit(review(obj, { uid: 'uid-deny' }));
  assert.equal(status, 200);
  assert.equal(json.response.uid, 'uid-deny');
  assert.equal(json.response.allowed, false);
  assert.equal(json.response.status.code, 403);
  return /^cloister: ([A-Z0-9_]+):/.exec(json.response.status.message)?.[1] ?? '(none)';
}

async function assertIdempotent(p: Json): Promise<void> {
  const again = await mutated(p, 'uid-2');
  assert.deepEqual(again.patch, [], 're-admitting a mutated pod must change nothing');
}

/** the fixture's 'web' workload is SGX: Gramine starts the launcher inside the enclave */
const SGX_LAUNCH = ['gramine-sgx', 'cloister-launcher', 'run', '--'];
const env = (c: Json) => Object.fromEntries((c.env as Json[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('webhook over HTTPS', () => {
  test('SGX Deployment pod with a command: launcher, env, volume, init container, EPC (Intel plugin)', async () => {
    current = config();
    const { pod: p, patch } = await mutated(pod({ workload: 'web' }));
    assert.ok(patch.length > 0);
    const c = p.spec.containers[0];
    assert.deepEqual(c.command, [...SGX_LAUNCH, 'nginx', '-g', 'daemon off;']);
    assert.equal(c.args, undefined);
    assert.deepEqual(env(c), {
      CLOISTER_COORDINATOR: COORDINATOR, CLOISTER_WORKLOAD: 'web', CLOISTER_MANIFEST_HASH: MANIFEST_HASH, CLOISTER_TEE: 'gramine',
      CLOISTER_INSTANCE_ID: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
    });
    assert.deepEqual(c.resources.limits, { 'sgx.intel.com/epc': String(256 * 1024 * 1024), 'sgx.intel.com/enclave': '1', 'sgx.intel.com/provision': '1' });
    assert.deepEqual(c.volumeMounts, [{ name: 'cloister-launcher', mountPath: '/cloister', readOnly: true }]);
    assert.deepEqual(p.spec.volumes, [{ name: 'cloister-launcher', emptyDir: {} }]);
    assert.equal(p.spec.initContainers[0].name, 'cloister-launcher-install');
    assert.equal(p.spec.initContainers[0].image, LAUNCHER_IMAGE);
    assert.equal(p.spec.runtimeClassName, undefined);
    assert.equal(p.metadata.annotations['cloister.dev/injected'], 'web');
    await assertIdempotent(p);
  });

  test('pod without command: the cloister.dev/command annotation is the entrypoint; without it the pod is denied', async () => {
    current = config();
    const spec = { containers: [{ name: 'web', image: 'app:1', args: ['--port', '80'] }] };
    const { pod: p } = await mutated(pod({ workload: 'web', spec, annotations: { 'cloister.dev/command': '["/bin/app","serve"]' } }));
    assert.deepEqual(p.spec.containers[0].command, [...SGX_LAUNCH, '/bin/app', 'serve', '--port', '80']);
    await assertIdempotent(p);
    assert.equal(await deniedCode(pod({ workload: 'web', spec })), 'K8S_COMMAND_UNKNOWN');
    for (const bad of ['"/bin/app"', '[]', '[1]', 'not json', '[""]']) {
      assert.equal(await deniedCode(pod({ workload: 'web', spec, annotations: { 'cloister.dev/command': bad } })), 'K8S_ANNOTATION_INVALID', bad);
    }
  });

  test('existing env, volumes, resources, init containers and a sidecar are kept; only the chosen container is wrapped', async () => {
    current = config();
    const before = busyPod('web');
    const { pod: p } = await mutated(before);
    const [sidecar, app] = p.spec.containers;
    assert.deepEqual(sidecar, (before.spec as Json).containers[0], 'the sidecar is untouched');
    assert.deepEqual(app.command, [...SGX_LAUNCH, '/app/server', '--port', '8080']);
    assert.equal(env(app).MODE, 'prod');
    assert.equal(env(app).CLOISTER_WORKLOAD, 'web', 'a spoofed CLOISTER_WORKLOAD is overwritten');
    assert.equal(app.env.filter((e: Json) => e.name === 'CLOISTER_WORKLOAD').length, 1);
    const gib = String(1024 ** 3);
    assert.equal(app.resources.limits['sgx.intel.com/epc'], gib, 'EPC from the cloister.dev/epc annotation');
    assert.equal(app.resources.limits.memory, '2Gi');
    assert.deepEqual(app.resources.requests, { cpu: '500m', memory: '1Gi', 'sgx.intel.com/epc': gib });
    assert.deepEqual(p.spec.volumes.map((v: Json) => v.name), ['data', 'cloister-launcher']);
    assert.deepEqual(app.volumeMounts.map((v: Json) => v.name), ['data', 'cloister-launcher']);
    assert.deepEqual(p.spec.initContainers.map((c: Json) => c.name), ['cloister-launcher-install', 'migrate']);
    assert.deepEqual(p.spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(p.spec.tolerations.length, 1);
    await assertIdempotent(p);
  });

  test('AKS plugin: EPC in MiB (rounded up), no enclave/provision resources; node selector and toleration added', async () => {
    current = config({ sgxPlugin: 'aks', sgxNodeSelector: ['kubernetes.azure.com/sgx=true'], sgxToleration: ['sgx=true:NoSchedule'] });
    const { pod: p } = await mutated(pod({ workload: 'web', annotations: { 'cloister.dev/epc': '100000000' } }));
    assert.deepEqual(p.spec.containers[0].resources.limits, { 'sgx.intel.com/sgx_epc_mem_in_MiB': '96' });
    assert.deepEqual(p.spec.nodeSelector, { 'kubernetes.azure.com/sgx': 'true' });
    assert.deepEqual(p.spec.tolerations, [{ key: 'sgx', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    await assertIdempotent(p);
    current = config({ sgxPlugin: 'aks-legacy' });
    const { pod: q } = await mutated(pod({ workload: 'web' }));
    assert.deepEqual(q.spec.containers[0].resources.limits, { 'kubernetes.azure.com/sgx_epc_mem_in_MiB': '256' });
    for (const bad of ['0', '-1', '1.5', '10m', 'lots']) {
      assert.equal(await deniedCode(pod({ workload: 'web', annotations: { 'cloister.dev/epc': bad } })), 'K8S_ANNOTATION_INVALID', bad);
    }
  });

  test('Kata SEV-SNP pod: runtime class, toleration, memory-backed launcher volume, initdata annotation with the expected digest', async () => {
    current = config();
    const { pod: p } = await mutated(pod({ workload: 'db' }));
    assert.equal(p.spec.runtimeClassName, 'kata-qemu-snp');
    assert.deepEqual(p.spec.tolerations, [{ key: 'kata', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    assert.deepEqual(p.spec.volumes, [{ name: 'cloister-launcher', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } }]);
    assert.equal(env(p.spec.containers[0]).CLOISTER_TEE, 'tsm');
    assert.equal(p.spec.containers[0].resources, undefined, 'no SGX resources for a VM');
    const toml = decodeInitdataAnnotation(p.metadata.annotations['io.katacontainers.config.hypervisor.cc_init_data']);
    assert.equal(Buffer.from(toml).toString('utf8'), workloadInitdata(current, 'db'));
    assert.deepEqual(initdataDigest(toml), initdataDigest(workloadInitdata(current, 'db')));
    await assertIdempotent(p);
  });

  test('SGX: the Gramine manifest comes from cloister.dev/gramine-manifest, the loader from --gramine-loader; bad names are denied', async () => {
    current = config({ gramineLoader: '/usr/bin/gramine-sgx' });
    const { pod: p } = await mutated(pod({ workload: 'web', annotations: { 'cloister.dev/gramine-manifest': 'app/launcher' } }));
    assert.deepEqual(p.spec.containers[0].command, ['/usr/bin/gramine-sgx', 'app/launcher', 'run', '--', 'nginx', '-g', 'daemon off;']);
    await assertIdempotent(p);
    for (const bad of ['', '-v', '../x', 'a/../b', '.hidden', 'a b', 'x'.repeat(300)]) {
      assert.equal(await deniedCode(pod({ workload: 'web', annotations: { 'cloister.dev/gramine-manifest': bad } })), 'K8S_ANNOTATION_INVALID', bad);
    }
    assert.throws(() => config({ gramineLoader: '--evil' }), (e: unknown) => (e as K8sError).code === 'K8S_CONFIG_INVALID');
    assert.throws(() => config({ gramineLoader: 'gramine sgx' }), (e: unknown) => (e as K8sError).code === 'K8S_CONFIG_INVALID');
  });

  test('SGX: an image command that merely looks wrapped (no launcher volume) is still wrapped', async () => {
    current = config();
    const look = ['gramine-sgx', 'cloister-launcher', 'run', '--', '/app'];
    const { pod: p } = await mutated(pod({ workload: 'web', spec: { containers: [{ name: 'web', image: 'app:1', command: look }] } }));
    assert.deepEqual(p.spec.containers[0].command, [...SGX_LAUNCH, ...look]);
    await assertIdempotent(p);
  });

  test('confidential-VM pods: the wrapped container gets configfs-tsm access (privileged, uid 0), merged over its securityContext', async () => {
    current = config();
    const spec = { containers: [{ name: 'db', image: 'db:1', command: ['/db'], securityContext: { runAsUser: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] } } }] };
    for (const workload of ['db', 'api']) {
      const { pod: p } = await mutated(pod({ workload, spec }));
      const c = p.spec.containers[0];
      assert.deepEqual(c.command, ['/cloister/cloister-launcher', 'run', '--', '/db']);
      assert.deepEqual(c.securityContext, { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, privileged: true, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] } });
      await assertIdempotent(p);
    }
    const { pod: plain } = await mutated(pod({ workload: 'db' }));
    assert.deepEqual(plain.spec.containers[0].securityContext, { privileged: true, runAsUser: 0, runAsGroup: 0, runAsNonRoot: false });
    const { pod: sgx } = await mutated(pod({ workload: 'web' }));
    assert.equal(sgx.spec.containers[0].securityContext, undefined, 'SGX pods are not made privileged');
  });

  test('Kata TDX pod that brings its own initdata keeps it unchanged; broken initdata or no policy is denied', async () => {
    current = config({ tdxRuntimeClass: 'kata-tdx' });
    const own = encodeInitdataAnnotation('version = "0.1.0"\nalgorithm = "sha384"\n\n[data]\n');
    const ann = 'io.katacontainers.config.hypervisor.cc_init_data';
    const { pod: p } = await mutated(pod({ workload: 'api', annotations: { [ann]: own } }));
    assert.equal(p.metadata.annotations[ann], own);
    assert.equal(p.spec.runtimeClassName, 'kata-tdx');
    await assertIdempotent(p);
    assert.equal(await deniedCode(pod({ workload: 'api', annotations: { [ann]: 'bm90IGd6aXA=' } })), 'K8S_INITDATA_INVALID');
    current = config({ kataPolicy: undefined });
    assert.equal(await deniedCode(pod({ workload: 'api' })), 'K8S_INITDATA_POLICY_MISSING');
  });

  test('re-admission after another webhook inserted a sidecar first: the wrapped container stays the workload, the sidecar is not wrapped', async () => {
    current = config();
    const { pod: p } = await mutated(pod({ workload: 'web' }));
    const sidecar = { name: 'mesh-proxy', image: 'envoy:1.30', args: ['--config', '/etc/envoy.yaml'] };
    const reinvoked = { ...p, spec: { ...p.spec, containers: [sidecar, ...p.spec.containers] } };
    const { pod: q, patch } = await mutated(reinvoked, 'uid-re');
    assert.deepEqual(patch, [], 'nothing to change');
    assert.deepEqual(q.spec.containers[0], sidecar);
    assert.equal(q.spec.containers.filter((c: Json) => c.command?.[0] === 'gramine-sgx').length, 1);
    // also when the sidecar arrives with a command of its own (it would otherwise be the "first container")
    const withCommand = { ...p, spec: { ...p.spec, containers: [{ ...sidecar, command: ['envoy'] }, ...p.spec.containers] } };
    assert.deepEqual((await mutated(withCommand, 'uid-re2')).patch, []);
  });

  test('unlabelled pods are never touched, even without a manifest or when malformed; labelled pods then fail closed', async () => {
    current = config();
    const { patch } = await mutated(pod());
    assert.deepEqual(patch, []);
    const malformed = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'odd', labels: { app: 'x' } }, spec: { containers: 'not a list' } };
    const r = await admit(review(malformed, { uid: 'uid-odd' }));
    assert.deepEqual([r.status, r.json.response.allowed, r.json.response.patch], [200, true, undefined]);
    const noMeta = await admit(review({ kind: 'Pod', spec: null }, { uid: 'uid-nometa' }));
    assert.deepEqual([noMeta.status, noMeta.json.response.allowed, noMeta.json.response.patch], [200, true, undefined]);
    current = undefined;
    assert.deepEqual((await mutated(pod(), 'uid-x')).patch, []);
    assert.equal(await deniedCode(pod({ workload: 'web' })), 'K8S_MANIFEST_UNAVAILABLE');
  });

  test('unknown workload, invalid label, unknown container, simulated workload without simulation: denied', async () => {
    current = config();
    assert.equal(await deniedCode(pod({ workload: 'payments' })), 'K8S_WORKLOAD_UNKNOWN');
    assert.equal(await deniedCode(pod({ workload: 'Web_1' })), 'K8S_LABEL_INVALID');
    assert.equal(await deniedCode(pod({ workload: 'web', annotations: { 'cloister.dev/container': 'nope' } })), 'K8S_CONTAINER_NOT_FOUND');
    assert.equal(await deniedCode(pod({ workload: 'demo' })), 'K8S_SIMULATION_REFUSED');
    current = config({ simulation: true });
    const { pod: p } = await mutated(pod({ workload: 'demo' }));
    assert.deepEqual([env(p.spec.containers[0]).CLOISTER_TEE, env(p.spec.containers[0]).CLOISTER_SIMULATION], ['simulated', '1']);
    assert.equal(await deniedCode({ ...pod({ workload: 'web' }), spec: { containers: [] } }), 'K8S_POD_INVALID');
  });

  test('malformed reviews are rejected with HTTP 400; other kinds and operations pass untouched', async () => {
    current = config();
    const bad: Array<[string, string]> = [
      ['not json', '{"apiVersion":'],
      ['wrong version', JSON.stringify({ ...review(pod()), apiVersion: 'admission.k8s.io/v1beta1' })],
      ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })],
      ['no uid', JSON.stringify(review(pod(), { uid: '' }))],
      ['create without object', JSON.stringify(review(undefined))],
      ['array', '[]'],
    ];
    for (const [name, raw] of bad) {
      const r = await admit(undefined, raw);
      assert.equal(r.status, 400, name);
      assert.equal(r.json.code, 'K8S_REVIEW_INVALID', name);
    }
    const del = await admit(review(pod({ workload: 'web' }), { operation: 'DELETE', uid: 'd' }));
    assert.deepEqual([del.json.response.allowed, del.json.response.patch, del.json.response.uid], [true, undefined, 'd']);
    const svc = await admit(review({ kind: 'Service' }, { kind: 'Service', uid: 's' }));
    assert.deepEqual([svc.json.response.allowed, svc.json.response.patch], [true, undefined]);
  });

  test('metrics report the per-workload EPC request and admissions', async () => {
    current = config();
    await mutated(pod({ workload: 'web', annotations: { 'cloister.dev/epc': '512Mi' } }));
    const r = await call(server.url, { method: 'GET', path: '/metrics', ca, servername: SERVERNAME });
    assert.equal(r.status, 200);
    assert.match(r.body, /cloister_webhook_epc_request_bytes\{workload="web",resource="sgx.intel.com\/epc"\} 536870912/);
    assert.doesNotMatch(r.body, /cloister_workload_epc_request_bytes/, 'that name is the coordinator\'s (manifest epcSize)');
    assert.match(r.body, /cloister_webhook_admissions_total\{workload="web",result="mutated"\} \d+/);
    assert.match(r.body, /cloister_webhook_admissions_total\{workload="\(unknown\)",result="K8S_WORKLOAD_UNKNOWN"\} \d+/);
  });
});
