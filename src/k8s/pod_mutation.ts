import { LAUNCH_ENV } from '../runtime/launch/index.js';
import type { ManifestPackage } from '../manifest/index.js';
import { isDnsLabel, type Placement, type WebhookConfig } from './config.js';
import { isWrapped, mountLauncher, setEnv, setLimits, setSecurityContext, TSM_ACCESS_SECURITY, wrapCommand, type LauncherPrefix } from './container_wrap.js';
import { K8sError } from './errors.js';
import { decodeInitdataAnnotation, encodeInitdataAnnotation, initdataDigest } from './initdata.js';
import {
  ANNOTATION_CONTAINER, ANNOTATION_DEFAULT_CONTAINER, ANNOTATION_EPC, ANNOTATION_GRAMINE_MANIFEST, ANNOTATION_INJECTED, ANNOTATION_KATA_INITDATA,
  DEFAULT_GRAMINE_MANIFEST,
  LABEL_WORKLOAD, LAUNCHER_DIR, LAUNCHER_IMAGE_PATH, LAUNCHER_INIT_CONTAINER, LAUNCHER_PATH, LAUNCHER_VOLUME,
} from './names.js';
import { parsePod, podDisplayName, type Container, type Pod } from './pod_shape.js';
import { parseByteQuantity } from './quantity.js';
import { SGX_PLUGIN_PROFILES, sgxResourceLimits } from './sgx_resources.js';
import type { ImageEntrypoint } from './registry/client.js';
import { workloadInitdata } from './workload_initdata.js';

export type PackageTee = 'sgx' | 'snp' | 'tdx' | 'simulated';

export interface MutationResult {
  /** the pod to admit (a new object; the input is not modified) */
  readonly pod: Pod;
  /** absent for pods without the workload label, which are never changed */
  readonly workload?: string;
  readonly tee?: PackageTee;
  readonly epcBytes?: bigint;
  /** the extended resource the EPC was requested as */
  readonly epcResource?: string;
}

export interface MutationOptions {
  /** the workload image's ENTRYPOINT/CMD, read from its registry (admission.ts) */
  readonly imageEntrypoint?: ImageEntrypoint;
}

/** A configuration, or a getter that throws K8sError while none is available (manifest not loaded). */
export type ConfigSource = WebhookConfig | (() => WebhookConfig);

/** the single-executable launcher is ~100 MiB (docs/launcher.md) */
const LAUNCHER_VOLUME_SIZE = '256Mi';

/** launcher provider (`cloister run --tee`) per package TEE (runtime/launch/config.ts TEE_CHOICES) */
const LAUNCHER_TEE: Readonly<Record<PackageTee, string>> = { sgx: 'gramine', snp: 'tsm', tdx: 'tsm', simulated: 'simulated' };

/**
 * The webhook's decision for one pod, as a pure function: unlabelled pods come back unchanged;
 * labelled pods come back with the launcher injected, or the call throws K8sError (the webhook
 * denies the pod: fail closed). mutatePod(mutatePod(p).pod) equals mutatePod(p) (idempotent).
 */
export function mutatePod(input: unknown, source: ConfigSource, options: MutationOptions = {}): MutationResult {
  // The label first, from the raw object: a pod without it is never parsed, touched or denied,
  // however malformed the rest of it is (the webhook must not break unrelated pods).
  if (!hasWorkloadLabel(input)) return { pod: input as Pod };
  const pod = structuredClone(parsePod(input));
  const workload = pod.metadata!.labels![LABEL_WORKLOAD]!;
  // resolved only for labelled pods: an unlabelled pod is admitted even while no manifest is loaded
  const cfg = typeof source === 'function' ? source() : source;
  if (!isDnsLabel(workload)) throw new K8sError('K8S_LABEL_INVALID', `pod ${podDisplayName(pod)}: label ${LABEL_WORKLOAD}='${workload}' is not a workload name (a DNS label)`);
  const w = Object.hasOwn(cfg.manifest.workloads, workload) ? cfg.manifest.workloads[workload] : undefined;
  if (w === undefined) {
    throw new K8sError('K8S_WORKLOAD_UNKNOWN', `pod ${podDisplayName(pod)}: workload '${workload}' is not in the manifest ${cfg.manifestHash}`, {
      detail: { workload, manifestHash: cfg.manifestHash },
    });
  }
  const tee = packageTee(cfg.manifest.packages[w.package]!);
  if (tee === 'simulated' && !cfg.simulation) {
    throw new K8sError('K8S_SIMULATION_REFUSED', `pod ${podDisplayName(pod)}: workload '${workload}' uses the simulated TEE, which this webhook accepts only in simulation mode`);
  }
  const metadata = (pod.metadata ??= {});
  const annotations = (metadata.annotations ??= {});
  const prefix = launcherPrefix(tee, cfg, annotations, pod);
  const container = workloadContainer(pod, annotations, prefix);

  wrapCommand(container, prefix, annotations, options.imageEntrypoint);
  setEnv(container, [
    { name: LAUNCH_ENV.coordinator, value: cfg.coordinatorUrl },
    { name: LAUNCH_ENV.workload, value: workload },
    { name: LAUNCH_ENV.manifestHash, value: cfg.manifestHash },
    { name: LAUNCH_ENV.tee, value: LAUNCHER_TEE[tee] },
    // the pod name: a restarted container renews its instance instead of using up maxActivations
    { name: LAUNCH_ENV.instanceId, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    ...(tee === 'simulated' ? [{ name: LAUNCH_ENV.simulation, value: '1' }] : []),
  ]);
  mountLauncher(container, true);
  // Kata shares a plain emptyDir with the host (virtio-fs): the host could swap the launcher.
  // A memory-backed emptyDir lives in guest RAM (the ~100 MiB launcher counts as pod memory).
  // Other pods keep the node's disk.
  addLauncherVolume(pod, tee === 'snp' || tee === 'tdx' ? { medium: 'Memory', sizeLimit: LAUNCHER_VOLUME_SIZE } : {});
  addInitContainer(pod, cfg.launcherImage);

  let epcBytes: bigint | undefined;
  let epcResource: string | undefined;
  if (tee === 'sgx') {
    const epcText = annotations[ANNOTATION_EPC];
    // the pod's annotation wins, then the manifest's epcSize, then the webhook's default
    // (epcSize of a workload whose package is not SGX is ignored: VMs have no EPC resource)
    const fromManifest = cfg.manifest.workloads[workload]?.epcSize;
    epcBytes = epcText !== undefined ? parseEpc(epcText) : fromManifest !== undefined ? manifestEpc(fromManifest, workload) : cfg.sgx.defaultEpcBytes;
    setLimits(container, sgxResourceLimits(cfg.sgx.plugin, epcBytes));
    epcResource = SGX_PLUGIN_PROFILES[cfg.sgx.plugin].epcResource;
    place(pod, cfg.sgx);
  } else if (tee === 'snp' || tee === 'tdx') {
    pod.spec.runtimeClassName = cfg.cvm.runtimeClass[tee];
    // the tsm provider writes configfs-tsm in the guest (same access as the coordinator's, install/coordinator.ts)
    setSecurityContext(container, TSM_ACCESS_SECURITY);
    place(pod, cfg.cvm);
    const existing = annotations[ANNOTATION_KATA_INITDATA];
    if (existing === undefined) annotations[ANNOTATION_KATA_INITDATA] = encodeInitdataAnnotation(workloadInitdata(cfg, workload));
    // initdata brought by the pod (e.g. genpolicy over the injected pod) is kept as is: its
    // digest is what the manifest pins. It must at least be initdata, or the VM would not boot.
    else initdataDigest(decodeInitdataAnnotation(existing));
  }
  annotations[ANNOTATION_INJECTED] = workload;
  return { pod, workload, tee, ...(epcBytes === undefined ? {} : { epcBytes, epcResource }) };
}

export function packageTee(p: ManifestPackage): PackageTee {
  return p.sgx !== undefined ? 'sgx' : p.snp !== undefined ? 'snp' : p.tdx !== undefined ? 'tdx' : 'simulated';
}

/** Whether the raw object carries the workload label at all (any value: a bad one is denied later). */
export function hasWorkloadLabel(input: unknown): boolean {
  const labels = (input as { metadata?: { labels?: unknown } } | null | undefined)?.metadata?.labels;
  return typeof labels === 'object' && labels !== null && !Array.isArray(labels) && Object.hasOwn(labels, LABEL_WORKLOAD);
}

/**
 * The container to wrap. One already wrapped wins over everything: on re-admission (another
 * webhook ran in between, reinvocationPolicy IfNeeded) a sidecar inserted in front of it must
 * never be wrapped as well. Else `cloister.dev/container`, kubectl's default container, the first.
 */
export function workloadContainer(pod: Pod, annotations: Readonly<Record<string, string>>, prefix: LauncherPrefix = [LAUNCHER_PATH]): Container {
  const wrapped = pod.spec.containers.find((x) => isWrapped(x, prefix));
  if (wrapped !== undefined) return wrapped;
  const name = annotations[ANNOTATION_CONTAINER] ?? annotations[ANNOTATION_DEFAULT_CONTAINER];
  if (name === undefined) return pod.spec.containers[0]!;
  const c = pod.spec.containers.find((x) => x.name === name);
  if (c === undefined) throw new K8sError('K8S_CONTAINER_NOT_FOUND', `pod ${podDisplayName(pod)}: container '${name}' (named by annotation) is not in spec.containers`);
  return c;
}

/**
 * SGX: `<loader> <gramine manifest>` (the launcher runs inside the enclave, where the gramine
 * provider can produce quotes); every other TEE starts the launcher directly.
 */
export function launcherPrefix(tee: PackageTee, cfg: WebhookConfig, annotations: Readonly<Record<string, string>>, pod: Pod): LauncherPrefix {
  if (tee !== 'sgx') return [LAUNCHER_PATH];
  const name = annotations[ANNOTATION_GRAMINE_MANIFEST] ?? DEFAULT_GRAMINE_MANIFEST;
  // a name, not an option or a path outside the working directory (`gramine-sgx NAME` reads NAME.manifest.sgx)
  if (!GRAMINE_MANIFEST_NAME.test(name) || name.split('/').includes('..')) {
    throw new K8sError('K8S_ANNOTATION_INVALID', `pod ${podDisplayName(pod)}: ${ANNOTATION_GRAMINE_MANIFEST}='${name.slice(0, 120)}' is not a Gramine manifest name (letters, digits, '.', '_', '-', '/'; not starting with '-' or '.')`);
  }
  return [cfg.sgx.gramineLoader, name];
}

const GRAMINE_MANIFEST_NAME = /^[A-Za-z0-9_/][A-Za-z0-9._/-]{0,254}$/;

function parseEpc(text: string): bigint {
  try {
    const n = parseByteQuantity(text, ANNOTATION_EPC);
    if (n > 0n) return n;
  } catch (cause) {
    throw new K8sError('K8S_ANNOTATION_INVALID', `${ANNOTATION_EPC}='${text}' is not a positive byte quantity (e.g. 512Mi)`, { cause });
  }
  throw new K8sError('K8S_ANNOTATION_INVALID', `${ANNOTATION_EPC}='${text}' must be more than 0 bytes`);
}

/** The manifest's epcSize passed the manifest schema, but may still exceed what we can request. */
function manifestEpc(text: string, workload: string): bigint {
  try {
    return parseByteQuantity(text, `manifest workload '${workload}' epcSize`);
  } catch (cause) {
    throw new K8sError('K8S_QUANTITY_INVALID', `manifest workload '${workload}': epcSize '${text}' is out of range for an EPC request (at most 1 EiB): fix the manifest`, { cause, detail: { workload, epcSize: text } });
  }
}

function addLauncherVolume(pod: Pod, emptyDir: Record<string, string>): void {
  const volumes = pod.spec.volumes ?? [];
  const v = { name: LAUNCHER_VOLUME, emptyDir };
  const i = volumes.findIndex((x) => x.name === LAUNCHER_VOLUME);
  if (i >= 0) volumes[i] = v;
  else volumes.push(v);
  pod.spec.volumes = volumes;
}

/** First in line, so the launcher is in place before any other init container could run it. */
function addInitContainer(pod: Pod, image: string): void {
  const init: Container = {
    name: LAUNCHER_INIT_CONTAINER,
    image,
    command: ['cp', LAUNCHER_IMAGE_PATH, LAUNCHER_PATH],
    volumeMounts: [{ name: LAUNCHER_VOLUME, mountPath: LAUNCHER_DIR, readOnly: false }],
    // tmpfs pages written by cp are charged to this container: room for the whole launcher
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: LAUNCHER_VOLUME_SIZE } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
  const others = (pod.spec.initContainers ?? []).filter((c) => c.name !== LAUNCHER_INIT_CONTAINER);
  pod.spec.initContainers = [init, ...others];
}

function place(pod: Pod, p: Placement): void {
  if (Object.keys(p.nodeSelector).length > 0) pod.spec.nodeSelector = { ...(pod.spec.nodeSelector ?? {}), ...p.nodeSelector };
  if (p.tolerations.length === 0) return;
  const tolerations = pod.spec.tolerations ?? [];
  for (const t of p.tolerations) if (!tolerations.some((x) => sameToleration(x, t))) tolerations.push({ ...t });
  pod.spec.tolerations = tolerations;
}

function sameToleration(a: object, b: object): boolean {
  const get = (o: object, k: string): unknown => (o as Record<string, unknown>)[k] ?? '';
  return ['key', 'operator', 'value', 'effect'].every((k) => get(a, k) === get(b, k));
}
