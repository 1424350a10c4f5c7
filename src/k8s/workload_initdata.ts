import type { WebhookConfig } from './config.js';
import { K8sError } from './errors.js';
import { renderInitdata } from './initdata.js';

/**
 * The initdata document the webhook gives a confidential-VM pod of `workload`: the Kata agent
 * policy (`policy.rego`, read by the agent) and `cloister.toml`, which records which
 * coordinator the launcher will go to, as which workload. Both end up under
 * HOST_DATA/MRCONFIGID, so a pod whose policy or launch target was changed has a different
 * digest and is not admitted by a manifest that pins the reviewed one. It depends on the
 * workload and the webhook's configuration only (never on the pod's generated name), so every
 * replica has the same digest and `cloister k8s initdata` can compute it ahead of time.
 * The manifest hash is deliberately NOT in it: the manifest pins this digest (snp.hostData /
 * tdx.mrConfigId), so a digest over the manifest hash would be circular. The launcher checks
 * the hash by attesting the coordinator instead.
 */
export const CLOISTER_INITDATA_KEY = 'cloister.toml';

export interface InitdataSettings {
  readonly coordinatorUrl: string;
  readonly cvm: Pick<WebhookConfig['cvm'], 'policy' | 'initdataAlgorithm'>;
}

export function workloadInitdata(cfg: InitdataSettings, workload: string): string {
  if (cfg.cvm.policy === undefined) {
    throw new K8sError(
      'K8S_INITDATA_POLICY_MISSING',
      `workload '${workload}' runs in a confidential VM, but the pod has no initdata annotation and the webhook has no Kata agent policy (--kata-policy) to build one`,
    );
  }
  const launch = [
    `coordinator = ${JSON.stringify(cfg.coordinatorUrl)}`,
    `workload = ${JSON.stringify(workload)}`,
    '',
  ].join('\n');
  return renderInitdata({ algorithm: cfg.cvm.initdataAlgorithm, data: { [CLOISTER_INITDATA_KEY]: launch, 'policy.rego': cfg.cvm.policy } });
}
