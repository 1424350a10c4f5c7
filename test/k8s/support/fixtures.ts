import { parseManifest, manifestHash } from '../../../src/manifest/index.js';
import { webhookConfigFactory, type WebhookConfig } from '../../../src/k8s/index.js';

/**
 * One manifest with a workload per TEE, the webhook configuration the tests use, and the pods
 * the webhook sees (as the API server sends them: a Deployment's pod has generateName, no name).
 */
const h = (byte: string, n: number) => byte.repeat(n);
export const MANIFEST = parseManifest(
  JSON.stringify({
    packages: {
      enclave: { sgx: { mrenclave: [h('11', 32)] } },
      snpvm: { snp: { measurements: [h('22', 48)] } },
      tdvm: { tdx: { mrtd: [h('33', 48)] } },
      sim: { simulated: { measurements: [h('44', 48)] } },
    },
    workloads: { web: { package: 'enclave' }, db: { package: 'snpvm' }, api: { package: 'tdvm' }, demo: { package: 'sim' } },
  }),
);
export const MANIFEST_HASH = manifestHash(MANIFEST);
export const COORDINATOR = 'https://cloister-coordinator.cloister.svc:4433';
export const LAUNCHER_IMAGE = 'cloister/cloister@sha256:' + 'ab'.repeat(32);
export const KATA_POLICY = 'package agent_policy\n\ndefault CreateContainerRequest := true\n';

export function config(over: Partial<Parameters<typeof webhookConfigFactory>[0]> = {}): WebhookConfig {
  return webhookConfigFactory({
    coordinator: COORDINATOR,
    launcherImage: LAUNCHER_IMAGE,
    kataPolicy: KATA_POLICY,
    cvmToleration: ['kata=true:NoSchedule'],
    ...over,
  })({ manifest: MANIFEST, manifestHash: MANIFEST_HASH });
}

type Json = Record<string, unknown>;

export function pod(o: { workload?: string; annotations?: Record<string, string>; spec?: Json; name?: boolean } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(o.name === true ? { name: 'web-0' } : { generateName: 'web-7d9f8c6b5-' }),
      namespace: 'shop',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5', ...(o.workload === undefined ? {} : { 'cloister.dev/workload': o.workload }) },
      ...(o.annotations === undefined ? {} : { annotations: o.annotations }),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'e1c3f0a4-1111-2222-3333-444455556666', controller: true }],
    },
    spec: o.spec ?? {
      containers: [{ name: 'web', image: 'nginx:1.27', command: ['nginx'], args: ['-g', 'daemon off;'], ports: [{ containerPort: 8080 }] }],
    },
  };
}

/** A pod with existing env, volumes, resources, an init container and a sidecar. */
export function busyPod(workload: string): Json {
  return pod({
    workload,
    annotations: { 'cloister.dev/container': 'app', 'cloister.dev/epc': '1Gi' },
    spec: {
      initContainers: [{ name: 'migrate', image: 'app:1', command: ['/migrate'] }],
      containers: [
        { name: 'log-shipper', image: 'fluent-bit:3', args: ['-c', '/etc/fb.conf'] },
        {
          name: 'app',
          image: 'app:1',
          command: ['/app/server'],
          args: ['--port', '8080'],
          env: [{ name: 'MODE', value: 'prod' }, { name: 'CLOISTER_WORKLOAD', value: 'spoofed' }],
          resources: { requests: { cpu: '500m', memory: '1Gi', 'sgx.intel.com/epc': '1' }, limits: { memory: '2Gi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }],
    },
  });
}

export function review(object: unknown, o: { uid?: string; operation?: string; kind?: string } = {}): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: o.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: o.kind ?? 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: o.operation ?? 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      dryRun: false,
    },
  };
}
