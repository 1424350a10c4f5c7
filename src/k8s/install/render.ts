import { stringify } from 'yaml';
import { NAMES } from '../names.js';
import { coordinatorObjects, coordinatorUsesTsm, LABELS } from './coordinator.js';
import { etcdObjects } from './etcd.js';
import { checkInstallOptions, type InstallOptions } from './options.js';
import type { WebhookTls } from './tls.js';
import { webhookObjects } from './webhook.js';

/**
 * Everything `cloister k8s install` prints, in apply order: namespace, RBAC, (etcd), coordinator,
 * webhook (Secret before Deployment, MutatingWebhookConfiguration last, so the API server
 * never calls a webhook that is not there yet). Pure: the TLS material comes in, so tests
 * render a golden file.
 *
 * RBAC is least privilege by construction: neither the coordinator nor the webhook calls the
 * Kubernetes API, so their ServiceAccounts get no permissions and mount no token. The one
 * Role is for people/CI: publishing a manifest (the ConfigMap the webhook reads) and nothing
 * else; bind it to who may do that (docs/kubernetes.md). RBAC cannot limit `create` to one
 * resource name, so the install creates that ConfigMap itself, empty (no `data` key: re-applying
 * the install never removes a published manifest), and the Role needs no `create`.
 */
export const MANIFEST_PUBLISHER_ROLE = 'cloister-manifest-publisher';

export function renderInstallObjects(options: InstallOptions, tls: WebhookTls): object[] {
  const o = checkInstallOptions(options);
  const ns = o.namespace;
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { ...LABELS('namespace'), ...podSecurityLabels(o) },
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: MANIFEST_PUBLISHER_ROLE, namespace: ns, labels: LABELS('rbac') },
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [NAMES.manifestConfigMap], verbs: ['get', 'update', 'patch'] }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAMES.manifestConfigMap, namespace: ns, labels: LABELS('manifest') } },
    // --ha without --etcd-endpoints: etcd first, so its members are scheduling when the coordinators start
    ...(o.ha === true && o.etcdEndpoints === undefined ? etcdObjects(o) : []),
    ...coordinatorObjects(o),
    ...webhookObjects(o, tls),
  ];
}

/**
 * Pod Security `restricted` for everything, unless the coordinator attests through configfs-tsm
 * in a Kata VM, which needs a privileged container (coordinator.ts): then `privileged` is
 * enforced and `restricted` still warned about and audited, so any other drift is visible.
 */
function podSecurityLabels(o: InstallOptions): Record<string, string> {
  if (!coordinatorUsesTsm(o)) return { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };
  return {
    'pod-security.kubernetes.io/enforce': 'privileged',
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/warn-version': 'latest',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': 'latest',
  };
}

/** Multi-document YAML, one object per document, stable key order (as built). */
export function toMultiDocYaml(objects: readonly object[], header = ''): string {
  const docs = objects.map((obj) => stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false }));
  return `${header}${docs.map((d) => `---\n${d}`).join('')}`;
}

export function renderInstall(options: InstallOptions, tls: WebhookTls): string {
  const header = `# Cloister on Kubernetes: rendered by \`cloister k8s install\` for namespace ${options.namespace}${options.simulation ? ' (SIMULATION: no hardware protection)' : ''}.\n`;
  return toMultiDocYaml(renderInstallObjects(options, tls), header);
}
