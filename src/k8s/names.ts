/**
 * The names Cloister puts into Kubernetes objects: labels, annotations, the launcher's
 * paths. They are part of the user-facing contract (docs/kubernetes.md): never rename.
 */
export const LABEL_WORKLOAD = 'cloister.dev/workload';
/** JSON array of strings: the image's entrypoint, for containers whose spec gives no command. */
export const ANNOTATION_COMMAND = 'cloister.dev/command';
/** Kubernetes quantity (e.g. `512Mi`): EPC to request for an SGX workload. */
export const ANNOTATION_EPC = 'cloister.dev/epc';
/** Which container is the workload (default: kubectl's default-container annotation, else the first). */
export const ANNOTATION_CONTAINER = 'cloister.dev/container';
/** Set on mutated pods (a marker for people; idempotence does not depend on it). */
export const ANNOTATION_INJECTED = 'cloister.dev/injected';
/** kubectl's own choice of the main container (kubectl logs/exec use it). */
export const ANNOTATION_DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';
/** SGX: the Gramine manifest the loader starts (`gramine-sgx <name>` reads `<name>.manifest.sgx`). */
export const ANNOTATION_GRAMINE_MANIFEST = 'cloister.dev/gramine-manifest';
export const DEFAULT_GRAMINE_MANIFEST = 'cloister-launcher';
/** The Gramine-SGX loader command (webhook flag --gramine-loader). */
export const DEFAULT_GRAMINE_LOADER = 'gramine-sgx';
/** Kata: base64(gzip(initdata TOML)) [kata-containers src/runtime/pkg/oci/utils.go]. */
export const ANNOTATION_KATA_INITDATA = 'io.katacontainers.config.hypervisor.cc_init_data';

/** The shared volume the init container fills and the workload container reads. */
export const LAUNCHER_VOLUME = 'cloister-launcher';
export const LAUNCHER_DIR = '/cloister';
export const LAUNCHER_PATH = `${LAUNCHER_DIR}/cloister-launcher`;
export const LAUNCHER_INIT_CONTAINER = 'cloister-launcher-install';
/** Where the launcher image keeps the single executable (scripts/build-launcher.mjs output). */
export const LAUNCHER_IMAGE_PATH = '/cloister-launcher';

/** The Kubernetes names `cloister k8s install` creates (namespace-scoped unless noted). */
export const NAMES = {
  coordinator: 'cloister-coordinator',
  webhook: 'cloister-webhook',
  webhookTls: 'cloister-webhook-tls',
  /** cluster-scoped MutatingWebhookConfiguration */
  webhookConfig: 'cloister-webhook',
  /** the webhook entry's own name: must be a fully qualified domain name */
  webhookEntry: 'pods.webhook.cloister.dev',
  manifestConfigMap: 'cloister-manifest',
} as const;

export const COORDINATOR_PORT = 4433;
export const WEBHOOK_PORT = 8443;
