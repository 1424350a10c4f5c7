import { z } from 'zod';
import { K8sError } from './errors.js';

/**
 * The parts of a Pod the webhook reads or writes, checked at the edge. Objects are loose:
 * every field we do not know is kept as it is, because the API server, not us, owns the
 * Pod schema; we must never drop what another controller set.
 */
const stringList = z.array(z.string());
const envVar = z.looseObject({ name: z.string().min(1) });
const resources = z.looseObject({
  limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export const containerSchema = z.looseObject({
  name: z.string().min(1),
  command: stringList.optional(),
  args: stringList.optional(),
  env: z.array(envVar).optional(),
  resources: resources.optional(),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).optional(),
});
export const podSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  spec: z.looseObject({
    containers: z.array(containerSchema).min(1),
    initContainers: z.array(containerSchema).optional(),
    volumes: z.array(z.looseObject({ name: z.string() })).optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(z.looseObject({})).optional(),
    runtimeClassName: z.string().optional(),
  }),
});

export type Pod = z.infer<typeof podSchema>;
export type Container = z.infer<typeof containerSchema>;

export function parsePod(value: unknown): Pod {
  const r = podSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new K8sError('K8S_POD_INVALID', `not a Pod: at '${i.path.join('.')}': ${i.message}`, { detail: { path: i.path.join('.') } });
  }
  return r.data;
}

/** A name for messages: the pod's name, else its generateName prefix (Deployment pods at CREATE). */
export function podDisplayName(pod: Pod): string {
  return pod.metadata?.name ?? (pod.metadata?.generateName === undefined ? '(unnamed)' : `${pod.metadata.generateName}*`);
}
