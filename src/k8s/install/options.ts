import { checkCommandWord, checkDnsLabel, checkImage, parseNodeSelector, parseToleration } from '../config.js';
import { K8sError } from '../errors.js';
import { INITDATA_ALGORITHMS } from '../initdata.js';
import { parseByteQuantity } from '../quantity.js';
import { checkSgxPlugin, type SgxPlugin } from '../sgx_resources.js';
import { parseStoreUrl, StoreError } from '../../store/index.js';

/** Everything `cloister k8s install` renders from (the TLS material comes separately). */
export interface InstallOptions {
  readonly namespace: string;
  /** image with the `cloister` command (coordinator and webhook) */
  readonly image: string;
  /** image with /cloister-launcher and `cp`, copied into workload pods */
  readonly launcherImage: string;
  readonly simulation: boolean;
  /** size of the coordinator's state volume, e.g. 1Gi */
  readonly storageSize: string;
  readonly storageClass?: string;
  /** run the coordinator itself in a confidential VM (Kata runtime class) */
  readonly coordinatorRuntimeClass?: string;
  /** run the coordinator in an SGX enclave: its image's ENTRYPOINT starts `cloister` under Gramine-SGX */
  readonly coordinatorSgx?: boolean;
  /** image of the coordinator (default: image); an SGX coordinator needs a Gramine image */
  readonly coordinatorImage?: string;
  /** EPC of an SGX coordinator (default 512Mi) */
  readonly coordinatorEpc?: string;
  readonly webhookReplicas: number;
  readonly sgxPlugin: SgxPlugin;
  /** EPC for SGX pods without a cloister.dev/epc annotation, e.g. 256Mi */
  readonly defaultEpc: string;
  /** Gramine-SGX loader the webhook puts in front of the launcher in SGX pods (default gramine-sgx) */
  readonly gramineLoader?: string;
  readonly snpRuntimeClass: string;
  readonly tdxRuntimeClass: string;
  /** Kata agent policy (Rego) the webhook puts into initdata of confidential-VM pods */
  readonly kataPolicy?: string;
  /** node placement of SGX / confidential-VM pods (webhook flags; KEY=VALUE and KEY[=VALUE]:Effect) */
  readonly sgxNodeSelector?: readonly string[];
  readonly sgxToleration?: readonly string[];
  readonly cvmNodeSelector?: readonly string[];
  readonly cvmToleration?: readonly string[];
  /** digest algorithm of the initdata the webhook builds (default sha256) */
  readonly initdataAlgorithm?: string;
  /** let the webhook read entrypoints of images referenced by tag too (digest-pinned ones always) */
  readonly resolveEntrypoints?: boolean;
  /** 3 coordinator replicas sharing etcd (docs/ha.md); without etcdEndpoints also a 3-member etcd */
  readonly ha?: boolean;
  /** an existing etcd (`HOST:PORT`, one per member) instead of the rendered one; only with ha */
  readonly etcdEndpoints?: readonly string[];
  /** Secret (keys ca.crt, tls.crt, tls.key) for TLS to an existing etcd; only with etcdEndpoints */
  readonly etcdTlsSecret?: string;
  /** image of the rendered etcd members (default DEFAULT_ETCD_IMAGE) */
  readonly etcdImage?: string;
}

export const INSTALL_DEFAULTS = {
  namespace: 'cloister',
  storageSize: '1Gi',
  webhookReplicas: 2,
  sgxPlugin: 'intel',
  defaultEpc: '256Mi',
  gramineLoader: 'gramine-sgx',
  snpRuntimeClass: 'kata-qemu-snp',
  tdxRuntimeClass: 'kata-qemu-tdx',
  coordinatorEpc: '512Mi',
  initdataAlgorithm: 'sha256',
} as const;

/**
 * Checks every option (before any TLS material is generated). Outside simulation the
 * coordinator must run in a TEE: without one it has no evidence to give, fails to start and
 * crash-loops, so such an install is refused rather than rendered.
 */
export function checkInstallOptions(o: InstallOptions): InstallOptions {
  checkDnsLabel(o.namespace, 'namespace');
  if (o.coordinatorRuntimeClass !== undefined && o.coordinatorSgx === true) throw invalid('choose one TEE for the coordinator: --coordinator-runtime-class or --coordinator-sgx, not both');
  if (!o.simulation && o.coordinatorRuntimeClass === undefined && o.coordinatorSgx !== true) {
    throw invalid('outside --simulation the coordinator must run in a TEE: give --coordinator-runtime-class (a Kata confidential-VM runtime class, e.g. kata-qemu-snp) or --coordinator-sgx (a Gramine-SGX coordinator image)');
  }
  if (o.coordinatorImage !== undefined) checkImage(o.coordinatorImage, 'coordinator image');
  if (parseByteQuantity(o.coordinatorEpc ?? INSTALL_DEFAULTS.coordinatorEpc, 'coordinator EPC') === 0n) throw invalid('coordinator EPC must be more than 0 bytes');
  parseNodeSelector(o.sgxNodeSelector ?? []);
  parseNodeSelector(o.cvmNodeSelector ?? []);
  for (const t of [...(o.sgxToleration ?? []), ...(o.cvmToleration ?? [])]) parseToleration(t);
  const alg = o.initdataAlgorithm ?? INSTALL_DEFAULTS.initdataAlgorithm;
  if (!(INITDATA_ALGORITHMS as readonly string[]).includes(alg)) throw invalid(`initdata algorithm '${alg}' is not one of ${INITDATA_ALGORITHMS.join(', ')}`);
  checkImage(o.image, 'image');
  checkImage(o.launcherImage, 'launcher image');
  if (!/^\d+(Ki|Mi|Gi|Ti)$/.test(o.storageSize)) throw invalid(`storage size '${o.storageSize}' is not like 1Gi`);
  if (o.storageClass !== undefined) checkDnsLabel(o.storageClass, 'storage class');
  if (o.coordinatorRuntimeClass !== undefined) checkDnsLabel(o.coordinatorRuntimeClass, 'coordinator runtime class');
  checkSgxPlugin(o.sgxPlugin);
  checkCommandWord(o.gramineLoader ?? INSTALL_DEFAULTS.gramineLoader, 'Gramine loader');
  checkDnsLabel(o.snpRuntimeClass, 'SNP runtime class');
  checkDnsLabel(o.tdxRuntimeClass, 'TDX runtime class');
  if (!Number.isInteger(o.webhookReplicas) || o.webhookReplicas < 1 || o.webhookReplicas > 10) throw invalid(`webhook replicas ${o.webhookReplicas}: want 1..10`);
  if (parseByteQuantity(o.defaultEpc, 'default EPC') === 0n) throw invalid('default EPC must be more than 0 bytes');
  checkHaOptions(o);
  return o;
}

function invalid(message: string): K8sError {
  return new K8sError('K8S_CONFIG_INVALID', message);
}

/**
 * --ha, --etcd-endpoints, --etcd-tls-secret, --etcd-image. The endpoints are checked by the
 * coordinator's own --store parser (src/store/store_url.ts), so what is rendered is a --store
 * value the coordinator accepts.
 */
function checkHaOptions(o: InstallOptions): void {
  if (o.ha !== true) {
    if (o.etcdEndpoints !== undefined || o.etcdTlsSecret !== undefined || o.etcdImage !== undefined) throw invalid('--etcd-endpoints, --etcd-tls-secret and --etcd-image need --ha');
    return;
  }
  if (o.etcdImage !== undefined) checkImage(o.etcdImage, 'etcd image');
  if (o.etcdEndpoints === undefined) {
    if (o.etcdTlsSecret !== undefined) throw invalid('--etcd-tls-secret is for an existing etcd: give --etcd-endpoints too');
    return;
  }
  if (o.etcdImage !== undefined) throw invalid('--etcd-image is for the rendered etcd: with --etcd-endpoints no etcd is rendered');
  if (o.etcdTlsSecret !== undefined) checkDnsLabel(o.etcdTlsSecret, 'etcd TLS secret');
  // each entry is one HOST:PORT: a '/' would turn into the URL's key prefix, a ',' into another endpoint
  const odd = o.etcdEndpoints.find((e) => /[/?#,@]/.test(e));
  if (odd !== undefined) throw invalid(`--etcd-endpoints entry '${odd}': want HOST:PORT (no scheme, path or credentials)`);
  try {
    // placeholder PEM: only the URL's shape is checked here; the Secret's files are read at start
    const pem = new Uint8Array([0x2d]);
    parseStoreUrl(`${o.etcdTlsSecret === undefined ? 'etcd' : 'etcds'}://${o.etcdEndpoints.join(',')}`, o.etcdTlsSecret === undefined ? {} : { ca: pem, cert: pem, key: pem });
  } catch (cause) {
    if (!(cause instanceof StoreError)) throw cause;
    throw new K8sError('K8S_CONFIG_INVALID', `--etcd-endpoints '${o.etcdEndpoints.join(',')}': ${cause.message}`, { cause });
  }
}
