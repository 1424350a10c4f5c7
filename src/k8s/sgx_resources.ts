import { K8sError } from './errors.js';
import { bytesToMiB } from './quantity.js';

/**
 * The extended resources an SGX pod must request, per device plugin. EPC is the only
 * schedulable SGX resource; which name (and unit) a cluster uses depends on its plugin:
 * - `intel`: Intel Device Plugins for Kubernetes (intel/intel-device-plugins-for-kubernetes,
 *   cmd/sgx_plugin): `sgx.intel.com/epc` in bytes, plus `sgx.intel.com/enclave` and
 *   `sgx.intel.com/provision`, which make the plugin mount /dev/sgx_enclave and
 *   /dev/sgx_provision (DCAP quote generation needs the provisioning device).
 * - `aks`: the AKS confcom add-on's plugin: `sgx.intel.com/sgx_epc_mem_in_MiB` in MiB; it mounts
 *   the devices itself, so there are no enclave/provision resources.
 * - `aks-legacy`: older AKS clusters: `kubernetes.azure.com/sgx_epc_mem_in_MiB` in MiB.
 */
export type SgxPlugin = 'intel' | 'aks' | 'aks-legacy';
export const SGX_PLUGINS: readonly SgxPlugin[] = ['intel', 'aks', 'aks-legacy'];

interface PluginProfile {
  readonly epcResource: string;
  readonly unit: 'bytes' | 'MiB';
  readonly devices: readonly string[];
}

export const SGX_PLUGIN_PROFILES: Readonly<Record<SgxPlugin, PluginProfile>> = {
  intel: { epcResource: 'sgx.intel.com/epc', unit: 'bytes', devices: ['sgx.intel.com/enclave', 'sgx.intel.com/provision'] },
  aks: { epcResource: 'sgx.intel.com/sgx_epc_mem_in_MiB', unit: 'MiB', devices: [] },
  'aks-legacy': { epcResource: 'kubernetes.azure.com/sgx_epc_mem_in_MiB', unit: 'MiB', devices: [] },
};

export function checkSgxPlugin(name: string): SgxPlugin {
  if (!(SGX_PLUGINS as readonly string[]).includes(name)) {
    throw new K8sError('K8S_CONFIG_INVALID', `SGX device plugin '${name}' is not one of ${SGX_PLUGINS.join(', ')}`);
  }
  return name as SgxPlugin;
}

/**
 * The container resource limits for `epcBytes` of EPC. Extended resources cannot be
 * overcommitted, so Kubernetes sets requests = limits; we set limits (and align requests
 * where the pod already names the resource).
 */
export function sgxResourceLimits(plugin: SgxPlugin, epcBytes: bigint): Record<string, string> {
  const p = SGX_PLUGIN_PROFILES[plugin];
  const epc = p.unit === 'bytes' ? epcBytes : bytesToMiB(epcBytes);
  const out: Record<string, string> = { [p.epcResource]: epc.toString() };
  for (const d of p.devices) out[d] = '1';
  return out;
}
