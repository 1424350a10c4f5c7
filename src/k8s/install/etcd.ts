import { CONTAINER_SECURITY, LABELS, POD_SECURITY } from './coordinator.js';
import {
  DEFAULT_ETCD_IMAGE, disruptionBudget, ETCD_CLIENT_PORT, ETCD_CLIENT_SERVICE, ETCD_DATA_DIR, ETCD_MEMBERS, ETCD_METRICS_PORT, ETCD_NAME, ETCD_PEER_PORT,
  etcdMemberHost, spreadOverNodes,
} from './ha.js';
import type { InstallOptions } from './options.js';

/**
 * The 3-member etcd cluster `cloister k8s install --ha` renders when no --etcd-endpoints are
 * given: a headless Service (stable pod DNS names, also for not-yet-ready peers), a client
 * Service, a StatefulSet with one PersistentVolume per member, a PodDisruptionBudget that keeps
 * quorum through node drains, and a NetworkPolicy that lets only coordinator pods reach the
 * client port and only members reach the peer port.
 *
 * Shape as in the Kubernetes e2e etcd StatefulSet (kubernetes test/e2e/testing-manifests/
 * statefulset/etcd/statefulset.yaml) and etcd's clustering guide (Documentation op-guide
 * clustering.md, "Static"): each member's --initial-cluster lists all three by their stable
 * names `<pod>.<headless service>.<namespace>.svc`, so no discovery service is needed. A member
 * that restarts with data in its volume ignores the --initial-* flags (etcd reads its membership
 * from the data dir).
 *
 * etcd runs without TLS here: the values the coordinator writes are sealed (AES-256-GCM under its
 * data key), so etcd never holds plaintext state, and the NetworkPolicy limits who may talk to it
 * (where the cluster's network plugin enforces NetworkPolicy). Someone who can still reach the
 * client port can delete values or put back older sealed ones; docs/ha.md says so and points to
 * bringing your own TLS etcd (--etcd-endpoints with --etcd-tls-secret).
 */
export function etcdObjects(o: InstallOptions): object[] {
  const ns = o.namespace;
  const labels = LABELS('etcd');
  const peers = Array.from({ length: ETCD_MEMBERS }, (_, i) => `${ETCD_NAME}-${i}=http://${etcdMemberHost(i, ns)}:${ETCD_PEER_PORT}`).join(',');
  const self = `$(POD_NAME).${ETCD_NAME}.${ns}.svc`; // Kubernetes expands $(POD_NAME) from env
  const args = [
    '--name=$(POD_NAME)',
    `--data-dir=${ETCD_DATA_DIR}/data`,
    `--listen-client-urls=http://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=http://${self}:${ETCD_CLIENT_PORT}`,
    `--listen-peer-urls=http://0.0.0.0:${ETCD_PEER_PORT}`,
    `--initial-advertise-peer-urls=http://${self}:${ETCD_PEER_PORT}`,
    `--listen-metrics-urls=http://0.0.0.0:${ETCD_METRICS_PORT}`,
    `--initial-cluster=${peers}`,
    '--initial-cluster-state=new',
    `--initial-cluster-token=${ETCD_NAME}-${ns}`,
    // without compaction the history grows until the 2 GiB quota and etcd refuses writes
    // (NOSPACE); one hour keeps enough history for a watch to resume after a short partition
    '--auto-compaction-mode=periodic',
    '--auto-compaction-retention=1h',
  ];
  // Liveness and startup check the member alone (serializable, NOSPACE excluded), as kubeadm's
  // etcd manifest does: a member that lost quorum is not broken, and restarting it would not help.
  // Readiness asks for quorum, so the client Service only routes to members that can serve.
  const health = (path: string) => ({ httpGet: { path, port: ETCD_METRICS_PORT, scheme: 'HTTP' } });
  const local = '/health?exclude=NOSPACE&serializable=true';
  const ports = [
    { name: 'client', port: ETCD_CLIENT_PORT, targetPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
    { name: 'peer', port: ETCD_PEER_PORT, targetPort: ETCD_PEER_PORT, protocol: 'TCP' },
  ];
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ETCD_NAME, namespace: ns, labels }, automountServiceAccountToken: false },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: ETCD_NAME, namespace: ns, labels },
      // members must resolve each other before any is ready (no quorum, no readiness, otherwise)
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels, ports },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: ETCD_CLIENT_SERVICE, namespace: ns, labels },
      spec: { type: 'ClusterIP', selector: labels, ports: [ports[0]] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: ETCD_NAME, namespace: ns, labels },
      spec: {
        serviceName: ETCD_NAME,
        replicas: ETCD_MEMBERS,
        // all members at once: with OrderedReady the first would wait for readiness, which needs quorum
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: ETCD_NAME,
            automountServiceAccountToken: false,
            affinity: spreadOverNodes(labels),
            securityContext: POD_SECURITY,
            containers: [
              {
                name: 'etcd',
                image: o.etcdImage ?? DEFAULT_ETCD_IMAGE,
                command: ['/usr/local/bin/etcd'],
                args,
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [
                  { name: 'client', containerPort: ETCD_CLIENT_PORT, protocol: 'TCP' },
                  { name: 'peer', containerPort: ETCD_PEER_PORT, protocol: 'TCP' },
                  { name: 'metrics', containerPort: ETCD_METRICS_PORT, protocol: 'TCP' },
                ],
                startupProbe: { ...health(local), periodSeconds: 10, failureThreshold: 24 },
                livenessProbe: { ...health(local), periodSeconds: 10, failureThreshold: 8 },
                readinessProbe: { ...health('/health'), periodSeconds: 5 },
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                securityContext: CONTAINER_SECURITY,
                volumeMounts: [{ name: 'data', mountPath: ETCD_DATA_DIR }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(o.storageClass === undefined ? {} : { storageClassName: o.storageClass }),
              resources: { requests: { storage: o.storageSize } },
            },
          },
        ],
      },
    },
    // a majority of 3 is 2: a drain that would take a second member waits
    disruptionBudget(ETCD_NAME, ns, labels, ETCD_MEMBERS - 1),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: ETCD_NAME, namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: LABELS('coordinator') } }], ports: [{ protocol: 'TCP', port: ETCD_CLIENT_PORT }] },
          { from: [{ podSelector: { matchLabels: labels } }], ports: [{ protocol: 'TCP', port: ETCD_CLIENT_PORT }, { protocol: 'TCP', port: ETCD_PEER_PORT }] },
        ],
      },
    },
  ];
}
