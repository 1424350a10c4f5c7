import { checkDnsLabel, checkImage } from '../config.js';
import { K8sError } from '../errors.js';
import { parseByteQuantity } from '../quantity.js';
import { checkSgxPlugin, type SgxPlugin } from '../sgx_resources.js';

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
  readonly webhookReplicas: number;
  readonly sgxPlugin: SgxPlugin;
  /** EPC for SGX pods without a cloister.dev/epc annotation, e.g. 256Mi */
  readonly defaultEpc: string;
  readonly snpRuntimeClass: string;
  readonly tdxRuntimeClass: string;
  /** Kata agent policy (Rego) the webhook puts into initdata of confidential-VM pods */
  readonly kataPolicy?: string;
}

export const INSTALL_DEFAULTS = {
  namespace: 'cloister',
  storageSize: '1Gi',
  webhookReplicas: 2,
  sgxPlugin: 'intel',
  defaultEpc: '256Mi',
  snpRuntimeClass: 'kata-qemu-snp',
  tdxRuntimeClass: 'kata-qemu-tdx',
} as const;

export function checkInstallOptions(o: InstallOptions): InstallOptions {
  checkDnsLabel(o.namespace, 'namespace');
  checkImage(o.image, 'image');
  checkImage(o.launcherImage, 'launcher image');
  if (!/^\d+(Ki|Mi|Gi|Ti)$/.test(o.storageSize)) throw invalid(`storage size '${o.storageSize}' is not like 1Gi`);
  if (o.storageClass !== undefined) checkDnsLabel(o.storageClass, 'storage class');
  if (o.coordinatorRuntimeClass !== undefined) checkDnsLabel(o.coordinatorRuntimeClass, 'coordinator runtime class');
  checkSgxPlugin(o.sgxPlugin);
  checkDnsLabel(o.snpRuntimeClass, 'SNP runtime class');
  checkDnsLabel(o.tdxRuntimeClass, 'TDX runtime class');
  if (!Number.isInteger(o.webhookReplicas) || o.webhookReplicas < 1 || o.webhookReplicas > 10) throw invalid(`webhook replicas ${o.webhookReplicas}: want 1..10`);
  if (parseByteQuantity(o.defaultEpc, 'default EPC') === 0n) throw invalid('default EPC must be more than 0 bytes');
  return o;
}

function invalid(message: string): K8sError {
  return new K8sError('K8S_CONFIG_INVALID', message);
}
