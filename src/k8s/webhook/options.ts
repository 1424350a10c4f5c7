import { checkCommandWord, checkCoordinatorUrl, checkDnsLabel, checkImage, parseNodeSelector, parseToleration, type WebhookConfig } from '../config.js';
import { K8sError } from '../errors.js';
import { INITDATA_ALGORITHMS, type InitdataAlgorithm } from '../initdata.js';
import { parseByteQuantity } from '../quantity.js';
import { DEFAULT_GRAMINE_LOADER } from '../names.js';
import { checkSgxPlugin } from '../sgx_resources.js';
import type { LoadedManifest } from './manifest_source.js';

/**
 * The webhook's settings as given on the command line (strings), checked once and turned
 * into a frozen WebhookConfig per manifest. Defaults match `cloister k8s install`.
 */
export interface WebhookSettings {
  readonly coordinator: string;
  readonly launcherImage: string;
  readonly simulation?: boolean;
  readonly sgxPlugin?: string;
  readonly defaultEpc?: string;
  /** loader that starts the launcher inside the enclave for SGX pods (default gramine-sgx) */
  readonly gramineLoader?: string;
  readonly sgxNodeSelector?: readonly string[];
  readonly sgxToleration?: readonly string[];
  readonly cvmNodeSelector?: readonly string[];
  readonly cvmToleration?: readonly string[];
  readonly snpRuntimeClass?: string;
  readonly tdxRuntimeClass?: string;
  /** Kata agent policy text (already read) */
  readonly kataPolicy?: string;
  readonly initdataAlgorithm?: string;
}

export type ConfigFactory = (m: LoadedManifest) => WebhookConfig;

/** Checks every setting now (start-up fails on a typo), returns how to build a config per manifest. */
export function webhookConfigFactory(s: WebhookSettings): ConfigFactory {
  const coordinatorUrl = checkCoordinatorUrl(s.coordinator);
  const launcherImage = checkImage(s.launcherImage, 'launcher image');
  const plugin = checkSgxPlugin(s.sgxPlugin ?? 'intel');
  const defaultEpcBytes = parseByteQuantity(s.defaultEpc ?? '256Mi', 'default EPC');
  if (defaultEpcBytes === 0n) throw new K8sError('K8S_CONFIG_INVALID', 'default EPC must be more than 0 bytes');
  const algorithm = s.initdataAlgorithm ?? 'sha256';
  if (!(INITDATA_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new K8sError('K8S_CONFIG_INVALID', `initdata algorithm '${algorithm}' is not one of ${INITDATA_ALGORITHMS.join(', ')}`);
  }
  const sgx = {
    plugin,
    defaultEpcBytes,
    gramineLoader: checkCommandWord(s.gramineLoader ?? DEFAULT_GRAMINE_LOADER, 'Gramine loader'),
    nodeSelector: parseNodeSelector(s.sgxNodeSelector ?? []),
    tolerations: (s.sgxToleration ?? []).map(parseToleration),
  };
  const cvm = {
    runtimeClass: {
      snp: checkDnsLabel(s.snpRuntimeClass ?? 'kata-qemu-snp', 'SNP runtime class'),
      tdx: checkDnsLabel(s.tdxRuntimeClass ?? 'kata-qemu-tdx', 'TDX runtime class'),
    },
    nodeSelector: parseNodeSelector(s.cvmNodeSelector ?? []),
    tolerations: (s.cvmToleration ?? []).map(parseToleration),
    ...(s.kataPolicy === undefined ? {} : { policy: s.kataPolicy }),
    initdataAlgorithm: algorithm as InitdataAlgorithm,
  };
  const simulation = s.simulation === true;
  return (m) => Object.freeze({ coordinatorUrl, manifest: m.manifest, manifestHash: m.manifestHash, launcherImage, simulation, sgx, cvm });
}
