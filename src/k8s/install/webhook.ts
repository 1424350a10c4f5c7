import { LABEL_WORKLOAD, NAMES, WEBHOOK_PORT } from '../names.js';
import { CONTAINER_SECURITY, coordinatorUrl, LABELS, POD_SECURITY } from './coordinator.js';
import { INSTALL_DEFAULTS, type InstallOptions } from './options.js';
import type { WebhookTls } from './tls.js';

/**
 * The admission webhook: a Deployment (stateless; more than one replica, because with
 * failurePolicy Fail no labelled pod starts while it is down), its Service, the TLS Secret
 * and the MutatingWebhookConfiguration that sends it pod CREATEs of labelled pods only.
 * The manifest comes from the ConfigMap `cloister-manifest` (created by the user from the
 * manifest file; until it exists labelled pods are denied). The webhook is not a trust
 * anchor: the launcher attests the coordinator and checks the manifest hash itself.
 */
export const TLS_DIR = '/etc/cloister/tls';
export const MANIFEST_DIR = '/etc/cloister/manifest';
export const KATA_POLICY_DIR = '/etc/cloister/kata';
export const KATA_POLICY_CONFIGMAP = 'cloister-kata-policy';

export function webhookArgs(o: InstallOptions): string[] {
  return [
    'k8s', 'webhook',
    '--listen', `0.0.0.0:${WEBHOOK_PORT}`,
    '--tls-cert', `${TLS_DIR}/tls.crt`,
    '--tls-key', `${TLS_DIR}/tls.key`,
    '--manifest', `${MANIFEST_DIR}/manifest.yaml`,
    '--coordinator', coordinatorUrl(o.namespace),
    '--launcher-image', o.launcherImage,
    '--sgx-plugin', o.sgxPlugin,
    '--default-epc', o.defaultEpc,
    '--gramine-loader', o.gramineLoader ?? INSTALL_DEFAULTS.gramineLoader,
    '--snp-runtime-class', o.snpRuntimeClass,
    '--tdx-runtime-class', o.tdxRuntimeClass,
    ...(o.kataPolicy === undefined ? [] : ['--kata-policy', `${KATA_POLICY_DIR}/policy.rego`]),
    '--initdata-algorithm', o.initdataAlgorithm ?? INSTALL_DEFAULTS.initdataAlgorithm,
    ...(o.sgxNodeSelector ?? []).flatMap((v) => ['--sgx-node-selector', v]),
    ...(o.sgxToleration ?? []).flatMap((v) => ['--sgx-toleration', v]),
    ...(o.cvmNodeSelector ?? []).flatMap((v) => ['--cvm-node-selector', v]),
    ...(o.cvmToleration ?? []).flatMap((v) => ['--cvm-toleration', v]),
    ...(o.resolveEntrypoints === true ? ['--resolve-entrypoints'] : []),
    ...(o.simulation ? ['--simulation'] : []),
  ];
}

export function webhookObjects(o: InstallOptions, tls: WebhookTls): object[] {
  const ns = o.namespace;
  const labels = LABELS('webhook');
  const probe = { httpGet: { path: '/healthz', port: WEBHOOK_PORT, scheme: 'HTTPS' }, periodSeconds: 10 };
  const volumes = [
    { name: 'tls', secret: { secretName: NAMES.webhookTls } },
    { name: 'manifest', configMap: { name: NAMES.manifestConfigMap, optional: true } },
    ...(o.kataPolicy === undefined ? [] : [{ name: 'kata-policy', configMap: { name: KATA_POLICY_CONFIGMAP } }]),
  ];
  const mounts = [
    { name: 'tls', mountPath: TLS_DIR, readOnly: true },
    { name: 'manifest', mountPath: MANIFEST_DIR, readOnly: true },
    ...(o.kataPolicy === undefined ? [] : [{ name: 'kata-policy', mountPath: KATA_POLICY_DIR, readOnly: true }]),
  ];
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAMES.webhook, namespace: ns, labels }, automountServiceAccountToken: false },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: NAMES.webhookTls, namespace: ns, labels },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': tls.certChainPem, 'tls.key': tls.keyPem, 'ca.crt': tls.caPem },
    },
    ...(o.kataPolicy === undefined
      ? []
      : [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: KATA_POLICY_CONFIGMAP, namespace: ns, labels }, data: { 'policy.rego': o.kataPolicy } }]),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAMES.webhook, namespace: ns, labels },
      spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'https', port: 443, targetPort: WEBHOOK_PORT, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NAMES.webhook, namespace: ns, labels },
      spec: {
        replicas: o.webhookReplicas,
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels,
            annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/scheme': 'https', 'prometheus.io/port': String(WEBHOOK_PORT) },
          },
          spec: {
            serviceAccountName: NAMES.webhook,
            automountServiceAccountToken: false,
            securityContext: POD_SECURITY,
            containers: [
              {
                name: 'webhook',
                image: o.image,
                command: ['cloister'],
                args: webhookArgs(o),
                ports: [{ name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' }],
                readinessProbe: probe,
                livenessProbe: { ...probe, failureThreshold: 6 },
                resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
                securityContext: CONTAINER_SECURITY,
                volumeMounts: mounts,
              },
            ],
            volumes,
          },
        },
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: NAMES.webhookConfig, labels },
      webhooks: [
        {
          name: NAMES.webhookEntry,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          matchPolicy: 'Equivalent',
          // re-run after later webhooks (e.g. a service mesh adding containers); mutation is idempotent
          reinvocationPolicy: 'IfNeeded',
          timeoutSeconds: 10,
          clientConfig: {
            service: { namespace: ns, name: NAMES.webhook, path: '/mutate', port: 443 },
            caBundle: Buffer.from(tls.caPem, 'utf8').toString('base64'),
          },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
          objectSelector: { matchExpressions: [{ key: LABEL_WORKLOAD, operator: 'Exists' }] },
          // never our own pods (the webhook cannot admit itself) nor the control plane's
          namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', ns] }] },
        },
      ],
    },
  ];
}
