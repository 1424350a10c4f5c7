import { parseNodeSelector, parseToleration } from '../config.js';
import { TSM_ACCESS_SECURITY } from '../container_wrap.js';
import { COORDINATOR_PORT, NAMES } from '../names.js';
import { parseByteQuantity } from '../quantity.js';
import { sgxResourceLimits } from '../sgx_resources.js';
import { coordinatorDisruptionBudget, coordinatorStoreArgs, haPodSpec, haStatefulSetSpec, haVolumeMounts } from './ha.js';
import { INSTALL_DEFAULTS, type InstallOptions } from './options.js';

/**
 * The coordinator: a one-replica StatefulSet (its sealed state lives on a PersistentVolume,
 * and the file store takes an exclusive lock: two replicas on one volume would fight) and a
 * ClusterIP Service that workloads and the webhook use. With --ha: three replicas sharing etcd
 * and a PodDisruptionBudget (ha.ts). It needs no Kubernetes API access,
 * so its ServiceAccount mounts no token.
 *
 * Outside simulation it runs in a TEE (options.ts refuses anything else), in one of two ways:
 * - a Kata confidential VM (`runtimeClassName`): it attests through configfs-tsm
 *   (/sys/kernel/config/tsm/report), where producing a report is a mkdir in a root-owned
 *   configfs directory, and a normal container sees neither a writable /sys nor configfs. So
 *   the container runs privileged as uid 0 — inside the VM: Kata keeps host devices out
 *   (`privileged_without_host_devices`) and the VM is the isolation boundary — which the
 *   `restricted` Pod Security level forbids, so the namespace then enforces `privileged` and
 *   only warns/audits `restricted` (docs/kubernetes.md);
 * - an SGX enclave: the image's ENTRYPOINT starts `cloister` under Gramine-SGX (so no
 *   `command` is set), the pod requests EPC and the SGX devices from the device plugin.
 * There is no hardware sealing key provider yet (docs/state.md): a restarted coordinator
 * cannot unseal its state and enters recovery.
 */
export const STATE_DIR = '/var/lib/cloister';
export const RUN_AS = 65532; // the conventional non-root "nonroot" user of distroless images

export function coordinatorUrl(namespace: string): string {
  return `https://${NAMES.coordinator}.${namespace}.svc:${COORDINATOR_PORT}`;
}

export const LABELS = (component: string) => ({ 'app.kubernetes.io/name': 'cloister', 'app.kubernetes.io/component': component });

export const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
} as const;

export const POD_SECURITY = { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } } as const;

/** configfs-tsm inside the confidential VM: privileged (no host devices under Kata) and root. */
export const TSM_CONTAINER_SECURITY = { ...TSM_ACCESS_SECURITY, readOnlyRootFilesystem: true } as const;

/** The coordinator attests through configfs-tsm in a Kata VM (not in simulation). */
export function coordinatorUsesTsm(o: InstallOptions): boolean {
  return !o.simulation && o.coordinatorRuntimeClass !== undefined;
}

export function coordinatorObjects(o: InstallOptions): object[] {
  const ns = o.namespace;
  const labels = LABELS('coordinator');
  const args = [
    'coordinator', 'start',
    '--listen', `0.0.0.0:${COORDINATOR_PORT}`,
    '--state-dir', `${STATE_DIR}/state`,
    ...coordinatorStoreArgs(o),
    '--san', NAMES.coordinator,
    '--san', `${NAMES.coordinator}.${ns}.svc`,
    '--san', `${NAMES.coordinator}.${ns}.svc.cluster.local`,
    ...(o.simulation ? ['--simulation'] : []),
    // replicas reach each other by pod IP (data-key hand-over to a new replica, docs/ha.md)
    ...(o.ha === true ? ['--advertise-url', `https://$(POD_IP):${COORDINATOR_PORT}`] : []),
  ];
  const probe = (path: string) => ({ httpGet: { path, port: COORDINATOR_PORT, scheme: 'HTTPS' }, periodSeconds: 10 });
  const sgx = o.coordinatorSgx === true;
  const nodeSelector = sgx ? parseNodeSelector(o.sgxNodeSelector ?? []) : {};
  const tolerations = sgx ? (o.sgxToleration ?? []).map(parseToleration) : [];
  const limits = {
    memory: '512Mi',
    ...(sgx ? sgxResourceLimits(o.sgxPlugin, parseByteQuantity(o.coordinatorEpc ?? INSTALL_DEFAULTS.coordinatorEpc, 'coordinator EPC')) : {}),
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAMES.coordinator, namespace: ns, labels }, automountServiceAccountToken: false },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAMES.coordinator, namespace: ns, labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/scheme': 'https', 'prometheus.io/port': String(COORDINATOR_PORT) } },
      spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'https', port: COORDINATOR_PORT, targetPort: COORDINATOR_PORT, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: NAMES.coordinator, namespace: ns, labels },
      spec: {
        serviceName: NAMES.coordinator,
        ...haStatefulSetSpec(o),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAMES.coordinator,
            automountServiceAccountToken: false,
            ...(o.coordinatorRuntimeClass === undefined ? {} : { runtimeClassName: o.coordinatorRuntimeClass }),
            ...(Object.keys(nodeSelector).length === 0 ? {} : { nodeSelector }),
            ...(tolerations.length === 0 ? {} : { tolerations }),
            ...haPodSpec(o, labels),
            securityContext: POD_SECURITY,
            containers: [
              {
                name: 'coordinator',
                image: o.coordinatorImage ?? o.image,
                ...(sgx ? {} : { command: ['cloister'] }),
                args,
                // HOME and the simulated platform live on the state volume: the root filesystem is read-only
                env: [
                  { name: 'HOME', value: STATE_DIR },
                  ...(o.ha === true ? [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] : []),
                  ...(o.simulation ? [{ name: 'CLOISTER_SIM_PLATFORM_DIR', value: `${STATE_DIR}/sim-platform` }] : []),
                ],
                ports: [{ name: 'https', containerPort: COORDINATOR_PORT, protocol: 'TCP' }],
                readinessProbe: probe('/healthz'),
                livenessProbe: { ...probe('/healthz'), failureThreshold: 6 },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits },
                securityContext: coordinatorUsesTsm(o) ? TSM_CONTAINER_SECURITY : CONTAINER_SECURITY,
                volumeMounts: [{ name: 'state', mountPath: STATE_DIR }, ...haVolumeMounts(o)],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'state', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(o.storageClass === undefined ? {} : { storageClassName: o.storageClass }),
              resources: { requests: { storage: o.storageSize } },
            },
          },
        ],
      },
    },
    ...coordinatorDisruptionBudget(o, labels),
  ];
}
