import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

/**
 * Validation against the Kubernetes 1.33 OpenAPI schemas (npm kubernetes-models 4.5.1), strict
 * about field names. The package's validators check types, enums and required fields, but
 * accept any extra property (the OpenAPI schemas do not say additionalProperties: false), so a
 * misspelt or misplaced field (e.g. `runtimeClassName` on a container) would pass them while
 * the API server drops or rejects it. The schemas ship only as compiled validators, so fields
 * are probed: a property the schema knows is type-checked, so replacing its value by `true` and
 * by a string makes at least one of the two fail AT that path; a property the schema does not
 * know is ignored both times. Every property of every object is probed (map entries such as
 * labels too: their values are typed by the map's schema).
 */
type Model = new (o: any) => { validate(): void };
export const MODELS: Readonly<Record<string, Model>> = {
  'v1/Namespace': Namespace, 'v1/ServiceAccount': ServiceAccount, 'v1/Service': Service, 'v1/Secret': Secret, 'v1/ConfigMap': ConfigMap, 'v1/Pod': Pod,
  'apps/v1/StatefulSet': StatefulSet, 'apps/v1/Deployment': Deployment, 'rbac.authorization.k8s.io/v1/Role': Role,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget, 'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

export function validateStrict(obj: { apiVersion?: string; kind?: string }, model?: Model): void {
  const M = model ?? MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (M === undefined) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new M(obj).validate();
  const unknown: string[] = [];
  const walk = (value: unknown, path: Array<string | number>): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        const p = [...path, k];
        if (!isKnown(M, obj, p)) unknown.push(p.join('.'));
        else walk(v, p);
      }
    }
  };
  walk(obj, []);
  if (unknown.length > 0) throw new Error(`${obj.kind}: fields the schema does not have: ${unknown.join(', ')}`);
}

function isKnown(M: Model, obj: object, path: Array<string | number>): boolean {
  const pointer = '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
  return [true, '\u0000probe'].some((probe) => {
    const copy = structuredClone(obj) as Record<string | number, unknown>;
    let parent: Record<string | number, unknown> = copy;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = probe;
    try {
      new M(copy).validate();
      return false;
    } catch (e) {
      const errors = (e as { errors?: Array<{ instancePath: string }> }).errors ?? [];
      return errors.some((x) => x.instancePath === pointer || x.instancePath.startsWith(`${pointer}/`));
    }
  });
}
