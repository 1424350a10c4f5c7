/** Kubernetes integration: admission webhook, Kata initdata, install manifests (docs/kubernetes.md). */
export { K8S_CODES, type K8sCode } from './codes.js';
export { K8sError } from './errors.js';
export {
  ANNOTATION_COMMAND, ANNOTATION_CONTAINER, ANNOTATION_EPC, ANNOTATION_INJECTED, ANNOTATION_KATA_INITDATA, LABEL_WORKLOAD,
  LAUNCHER_PATH, NAMES, COORDINATOR_PORT, WEBHOOK_PORT, ANNOTATION_GRAMINE_MANIFEST, DEFAULT_GRAMINE_MANIFEST, DEFAULT_GRAMINE_LOADER,
} from './names.js';
export {
  checkCoordinatorUrl, checkImage, checkDnsLabel, parseNodeSelector, parseToleration,
  type Placement, type Toleration, type WebhookConfig,
} from './config.js';
export { parseByteQuantity, bytesToMiB } from './quantity.js';
export { SGX_PLUGINS, SGX_PLUGIN_PROFILES, checkSgxPlugin, sgxResourceLimits, type SgxPlugin } from './sgx_resources.js';
export {
  renderInitdata, initdataDigest, bindDigest, checkAlgorithm as checkInitdataAlgorithm, encodeInitdataAnnotation, decodeInitdataAnnotation, readInitdataHeader,
  INITDATA_ALGORITHMS, SNP_HOST_DATA_SIZE, TDX_MR_CONFIG_ID_SIZE, type InitdataAlgorithm, type InitdataDigest,
} from './initdata.js';
export { workloadInitdata, CLOISTER_INITDATA_KEY, type InitdataSettings } from './workload_initdata.js';
export { diffJson, jsonEqual, type JsonPatchOp } from './json_patch.js';
export { parsePod, type Pod, type Container } from './pod_shape.js';
export { mutatePod, packageTee, hasWorkloadLabel, type ConfigSource, type MutationOptions, type MutationResult, type PackageTee } from './pod_mutation.js';
export { admitPod, type EntrypointResolver } from './admission.js';
export { createRegistryClient, MEDIA_TYPES, type ImageEntrypoint, type RegistryClient, type RegistryClientOptions } from './registry/client.js';
export { parseImageReference, isDigestPinned, type ImageReference } from './registry/reference.js';
export { addInitdataReference, type ManifestReferenceEdit } from './manifest_reference.js';
export { parseAdmissionReview, allow, deny, type AdmissionRequest, type AdmissionReviewResponse } from './webhook/review.js';
export { startWebhook, buildWebhookApp, type WebhookServer, type WebhookServerOptions } from './webhook/server.js';
export { createWebhookMetrics, type WebhookMetrics } from './webhook/metrics.js';
export { webhookConfigFactory, type WebhookSettings, type ConfigFactory } from './webhook/options.js';
export { loadManifestFile, fetchAttestedManifest, pollManifest, type LoadedManifest, type ManifestPoller, type AttestedManifestOptions } from './webhook/manifest_source.js';
export { renderInstall, renderInstallObjects, toMultiDocYaml, MANIFEST_PUBLISHER_ROLE } from './install/render.js';
export { INSTALL_DEFAULTS, checkInstallOptions, type InstallOptions } from './install/options.js';
export { generateWebhookTls, webhookDnsNames, WEBHOOK_TLS_LIFETIME_MS, type WebhookTls } from './install/tls.js';
export { coordinatorUrl } from './install/coordinator.js';
export { DEFAULT_ETCD_IMAGE, etcdMemberEndpoints, HA_REPLICAS } from './install/ha.js';
export { kubectlApply } from './install/kubectl.js';
