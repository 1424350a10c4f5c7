import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The webhook's metrics (GET /metrics). The webhook knows what each admitted pod actually
 * requested (annotation, manifest epcSize or default), under its own name
 * `cloister_webhook_epc_request_bytes`: the coordinator exports the manifest's epcSize as
 * `cloister_workload_epc_request_bytes`, and one name for two sources with different labels
 * would break joins. Both carry the `workload` label (docs/kubernetes.md: EPC in use =
 * request x active instances).
 */
export interface WebhookMetrics {
  readonly registry: Registry;
  readonly admissions: Counter<'workload' | 'result'>;
  readonly epcRequestBytes: Gauge<'workload' | 'resource'>;
}

export function createWebhookMetrics(): WebhookMetrics {
  const registry = new Registry();
  return {
    registry,
    admissions: new Counter({
      name: 'cloister_webhook_admissions_total',
      help: 'Pods reviewed by the Cloister webhook, by workload and result (mutated, unchanged, ignored, or the denial code)',
      labelNames: ['workload', 'result'],
      registers: [registry],
    }),
    epcRequestBytes: new Gauge({
      name: 'cloister_webhook_epc_request_bytes',
      help: 'EPC bytes requested per instance of an SGX workload (last admitted pod), with the device-plugin resource name',
      labelNames: ['workload', 'resource'],
      registers: [registry],
    }),
  };
}
