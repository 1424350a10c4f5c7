import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The coordinator's one metrics registry (served at GET /metrics). */
export interface CoordinatorMetrics {
  readonly registry: Registry;
  readonly activations: Counter<'workload' | 'result'>;
  readonly activationSeconds: Histogram<'result'>;
  readonly activeInstances: Gauge<'workload'>;
  readonly state: Gauge<'state'>;
  readonly simulation: Gauge;
  readonly epcRequestBytes: Gauge<'workload'>;
}

export function createMetrics(o: { defaultMetrics?: boolean } = {}): CoordinatorMetrics {
  const registry = new Registry();
  if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'cloister_' });
  return {
    registry,
    activations: new Counter({
      name: 'cloister_activations_total',
      help: 'Workload activations by workload and result (ok, or the error code)',
      labelNames: ['workload', 'result'],
      registers: [registry],
    }),
    activationSeconds: new Histogram({
      name: 'cloister_activation_duration_seconds',
      help: 'Time to handle an activation request',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    activeInstances: new Gauge({
      name: 'cloister_active_instances',
      help: 'Activated (not deactivated) instances per workload',
      labelNames: ['workload'],
      registers: [registry],
    }),
    state: new Gauge({
      name: 'cloister_coordinator_state',
      help: 'Coordinator state (1 for the current state)',
      labelNames: ['state'],
      registers: [registry],
    }),
    epcRequestBytes: new Gauge({
      name: 'cloister_workload_epc_request_bytes',
      help: 'SGX EPC each pod of the workload requests (manifest epcSize; docs/kubernetes.md shows how to autoscale on it)',
      labelNames: ['workload'],
      registers: [registry],
    }),
    simulation: new Gauge({
      name: 'cloister_simulation_mode',
      help: '1 when the coordinator runs in simulation mode (accepts simulated evidence)',
      registers: [registry],
    }),
  };
}
