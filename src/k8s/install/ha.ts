import { NAMES } from '../names.js';
import type { InstallOptions } from './options.js';

/**
 * What `--ha` changes in the coordinator StatefulSet (coordinator.ts), and what it adds:
 * - 3 replicas, started in parallel (none waits for another's readiness), each still with its own
 *   state volume: --state-dir keeps the replica's local files (its sealed data key, the simulated
 *   platform in simulation), while the shared state lives in etcd (`--store`);
 * - required anti-affinity on the node name, so one node failure takes at most one replica
 *   (this needs 3 schedulable nodes: SGX or confidential-VM nodes for a TEE coordinator);
 * - a PodDisruptionBudget of minAvailable 2, so drains take one replica at a time;
 * - readiness stays on /healthz (coordinator.ts), so the Service only routes to ready replicas.
 *
 * `--store` names every etcd member (the rendered StatefulSet's stable DNS names, or the given
 * --etcd-endpoints) rather than one Service address: the etcd client balances and fails over
 * across members itself, which a single kube-proxy address would hide from it.
 */
export const HA_REPLICAS = 3;

// Names and ports of the rendered etcd (etcd.ts), here because the coordinator's --store needs them too.
export const ETCD_NAME = 'cloister-etcd';
export const ETCD_CLIENT_SERVICE = 'cloister-etcd-client';
export const ETCD_MEMBERS = 3;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** /health and /metrics on their own plain listener, so probes never touch the client port. */
export const ETCD_METRICS_PORT = 2381;
export const ETCD_DATA_DIR = '/var/lib/etcd';
export const DEFAULT_ETCD_IMAGE = 'gcr.io/etcd-development/etcd:v3.5.21';

export const etcdMemberHost = (i: number, ns: string): string => `${ETCD_NAME}-${i}.${ETCD_NAME}.${ns}.svc`;

/** `HOST:PORT` of every member's client port: the coordinator's etcd client spreads over them itself. */
export function etcdMemberEndpoints(namespace: string): string[] {
  return Array.from({ length: ETCD_MEMBERS }, (_, i) => `${etcdMemberHost(i, namespace)}:${ETCD_CLIENT_PORT}`);
}

/** Required anti-affinity on the node name: two members (or replicas) on one node would fail together. */
export function spreadOverNodes(labels: Record<string, string>): object {
  return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }] } };
}

export function disruptionBudget(name: string, namespace: string, labels: Record<string, string>, minAvailable: number): object {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace, labels }, spec: { minAvailable, selector: { matchLabels: labels } } };
}

/** Where an --etcd-tls-secret is mounted in the coordinator (cert-manager's key names). */
export const ETCD_TLS_DIR = '/etc/cloister/etcd-tls';
const ETCD_TLS_VOLUME = 'etcd-tls';

/** The coordinator's store flags: none without --ha (the file store in --state-dir). */
export function coordinatorStoreArgs(o: InstallOptions): string[] {
  if (o.ha !== true) return [];
  const endpoints = (o.etcdEndpoints ?? etcdMemberEndpoints(o.namespace)).join(',');
  if (o.etcdTlsSecret === undefined) return ['--store', `etcd://${endpoints}`];
  return [
    '--store', `etcds://${endpoints}`,
    '--etcd-ca', `${ETCD_TLS_DIR}/ca.crt`,
    '--etcd-cert', `${ETCD_TLS_DIR}/tls.crt`,
    '--etcd-key', `${ETCD_TLS_DIR}/tls.key`,
  ];
}

/** Fields merged into the StatefulSet's spec. */
export function haStatefulSetSpec(o: InstallOptions): object {
  return o.ha === true ? { replicas: HA_REPLICAS, podManagementPolicy: 'Parallel' } : { replicas: 1 };
}

/** Fields merged into the coordinator's pod spec. */
export function haPodSpec(o: InstallOptions, labels: Record<string, string>): object {
  if (o.ha !== true) return {};
  return {
    affinity: spreadOverNodes(labels),
    ...(o.etcdTlsSecret === undefined ? {} : { volumes: [{ name: ETCD_TLS_VOLUME, secret: { secretName: o.etcdTlsSecret, defaultMode: 0o440 } }] }),
  };
}

export function haVolumeMounts(o: InstallOptions): object[] {
  return o.ha === true && o.etcdTlsSecret !== undefined ? [{ name: ETCD_TLS_VOLUME, mountPath: ETCD_TLS_DIR, readOnly: true }] : [];
}

export function coordinatorDisruptionBudget(o: InstallOptions, labels: Record<string, string>): object[] {
  return o.ha === true ? [disruptionBudget(NAMES.coordinator, o.namespace, labels, HA_REPLICAS - 1)] : [];
}
