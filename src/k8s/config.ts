import type { Manifest } from '../manifest/index.js';
import { K8sError } from './errors.js';
import type { InitdataAlgorithm } from './initdata.js';
import type { SgxPlugin } from './sgx_resources.js';

/**
 * What the webhook injects, fixed at start-up (frozen: a request never changes it). The
 * manifest and its hash come from a file or from the attested coordinator (manifest_source.ts).
 */
export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface Placement {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
}

export interface WebhookConfig {
  /** the coordinator URL workloads use (in-cluster Service DNS name) */
  readonly coordinatorUrl: string;
  readonly manifest: Manifest;
  readonly manifestHash: string;
  /** image holding the launcher at /cloister-launcher and a `cp` (pin it by digest) */
  readonly launcherImage: string;
  /** accept workloads whose package is the simulated TEE (development only) */
  readonly simulation: boolean;
  readonly sgx: Placement & {
    readonly plugin: SgxPlugin;
    readonly defaultEpcBytes: bigint;
    /** the Gramine-SGX loader that starts the launcher in the enclave, e.g. `gramine-sgx` */
    readonly gramineLoader: string;
  };
  readonly cvm: Placement & {
    /** runtimeClassName per confidential-VM TEE, e.g. Kata's `kata-qemu-snp` / `kata-qemu-tdx` */
    readonly runtimeClass: { readonly snp: string; readonly tdx: string };
    /** Kata agent policy (Rego text) for initdata built by the webhook; absent: pods must bring initdata */
    readonly policy?: string;
    readonly initdataAlgorithm: InitdataAlgorithm;
  };
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function isDnsLabel(s: string): boolean {
  return DNS_LABEL.test(s);
}

export function checkDnsLabel(s: string, what: string): string {
  if (!isDnsLabel(s)) throw invalid(`${what} '${s}' is not a DNS label (a-z, 0-9, '-', at most 63 characters)`);
  return s;
}

/** `key=value` (a node label): a nodeSelector entry. */
export function parseNodeSelector(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    const key = i < 0 ? item : item.slice(0, i);
    const value = i < 0 ? '' : item.slice(i + 1);
    if (i < 0 || !QUALIFIED_NAME.test(key) || !LABEL_VALUE.test(value)) throw invalid(`node selector '${item}' is not KEY=VALUE with a valid label key and value`);
    out[key] = value;
  }
  return out;
}

/** `key[=value]:Effect` (kubectl taint syntax): a toleration; without value it is `Exists`. */
export function parseToleration(item: string): Toleration {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(item);
  if (m === null || !QUALIFIED_NAME.test(m[1]!) || (m[2] !== undefined && !LABEL_VALUE.test(m[2]))) {
    throw invalid(`toleration '${item}' is not KEY[=VALUE]:NoSchedule|PreferNoSchedule|NoExecute`);
  }
  const effect = m[3] as Toleration['effect'];
  return m[2] === undefined ? { key: m[1]!, operator: 'Exists', effect } : { key: m[1]!, operator: 'Equal', value: m[2], effect };
}

export function checkCoordinatorUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`coordinator URL '${url}' is not a URL`);
  }
  if (u.protocol !== 'https:') throw invalid(`coordinator URL '${url}' must use https`);
  return url;
}

export function checkImage(image: string, what: string): string {
  if (image.length === 0 || image.length > 512 || /\s/.test(image)) throw invalid(`${what} '${image}' is not an image reference`);
  return image;
}

/** A command word (a name looked up in PATH, or an absolute path), never an option. */
export function checkCommandWord(word: string, what: string): string {
  if (!/^[A-Za-z0-9_/][A-Za-z0-9._/+-]{0,254}$/.test(word)) throw invalid(`${what} '${word.slice(0, 120)}' is not a command name or path`);
  return word;
}

function invalid(message: string): K8sError {
  return new K8sError('K8S_CONFIG_INVALID', message);
}
