import type { CodeTable } from '../common/errors.js';

/** Stable codes of the Kubernetes integration (webhook, initdata, install). Never rename; add new codes at the end. */
export const K8S_CODES = {
  K8S_REVIEW_INVALID: 'An AdmissionReview request body is not JSON, not admission.k8s.io/v1 AdmissionReview, or lacks request.uid/object (HTTP 400).',
  K8S_POD_INVALID: 'The admitted object is not a Pod with a spec.containers list of named containers.',
  K8S_LABEL_INVALID: "The pod's cloister.dev/workload label is empty or not a manifest workload name (a DNS label).",
  K8S_WORKLOAD_UNKNOWN: "The pod's cloister.dev/workload label names a workload the manifest does not have: the pod is denied (fail closed).",
  K8S_CONTAINER_NOT_FOUND: 'The container named by cloister.dev/container (or kubectl.kubernetes.io/default-container) is not in spec.containers.',
  K8S_COMMAND_UNKNOWN: 'The workload container gives no command and has no cloister.dev/command annotation; the webhook cannot read image entrypoints.',
  K8S_ANNOTATION_INVALID: 'A cloister.dev/* annotation has an invalid value (command not a JSON array of strings, EPC not a positive quantity).',
  K8S_QUANTITY_INVALID: 'A Kubernetes resource quantity is malformed, not a whole number of bytes, or out of range.',
  K8S_INITDATA_INVALID: 'A Kata initdata document or annotation is malformed: bad base64/gzip, missing or unsupported version/algorithm, or unencodable data.',
  K8S_INITDATA_POLICY_MISSING: 'A confidential-VM pod has no initdata annotation and the webhook has no Kata agent policy configured to build one.',
  K8S_CONFIG_INVALID: 'A webhook or install option is invalid (namespace, image, URL, resource plugin, node selector, toleration, runtime class).',
  K8S_MANIFEST_UNAVAILABLE: "The webhook could not obtain the manifest: unreadable file, or the coordinator's attested manifest could not be fetched.",
  K8S_SIMULATION_REFUSED: 'A pod names a workload whose package is the simulated TEE, but the webhook does not run in simulation mode.',
  K8S_KUBECTL_FAILED: 'kubectl is not installed or `kubectl apply` exited with an error.',
  K8S_LISTEN_FAILED: 'The webhook could not listen on its --listen address (address in use, not available, or permission denied).',
  K8S_TLS_INVALID: "The webhook's TLS certificate chain or private key is not PEM, or the key does not match the certificate.",
  K8S_ENTRYPOINT_UNRESOLVED: "The image's entrypoint could not be read from its registry (unreachable, timeout, missing image or platform, auth required, bad digest).",
} as const satisfies CodeTable;

export type K8sCode = keyof typeof K8S_CODES;
