import { z } from 'zod';
import { K8sError } from '../errors.js';
import type { JsonPatchOp } from '../json_patch.js';

/**
 * AdmissionReview v1 (k8s.io/api admission/v1 types.go): the API server POSTs
 * `{apiVersion: admission.k8s.io/v1, kind: AdmissionReview, request: {...}}` and expects the
 * same envelope back with `response.uid` equal to `request.uid`. Only v1 is accepted: the
 * webhook configuration lists `admissionReviewVersions: [v1]`, so anything else is not from
 * a correctly configured API server.
 */
const requestSchema = z.looseObject({
  uid: z.string().min(1).max(128),
  kind: z.looseObject({ group: z.string(), version: z.string(), kind: z.string() }),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  namespace: z.string().optional(),
  name: z.string().optional(),
  subResource: z.string().optional(),
  object: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});
const reviewSchema = z.looseObject({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: requestSchema,
});

export type AdmissionRequest = z.infer<typeof requestSchema>;

export function parseAdmissionReview(body: unknown): AdmissionRequest {
  const r = reviewSchema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const at = i.path.length === 0 ? 'the body' : `'${i.path.join('.')}'`;
    throw new K8sError('K8S_REVIEW_INVALID', `not an admission.k8s.io/v1 AdmissionReview: at ${at}: ${i.message}`);
  }
  return r.data.request;
}

export interface AdmissionReviewResponse {
  readonly apiVersion: 'admission.k8s.io/v1';
  readonly kind: 'AdmissionReview';
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly patchType?: 'JSONPatch';
    /** base64 of the JSON Patch array */
    readonly patch?: string;
    readonly status?: { readonly code: number; readonly message: string; readonly reason?: string };
    readonly warnings?: readonly string[];
  };
}

export function allow(uid: string, patch: readonly JsonPatchOp[], warnings: readonly string[] = []): AdmissionReviewResponse {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(patch.length === 0 ? {} : { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(patch), 'utf8').toString('base64') }),
      ...(warnings.length === 0 ? {} : { warnings }),
    },
  };
}

/** A denial the user sees in `kubectl` / ReplicaSet events: the code first, then why. */
export function deny(uid: string, e: K8sError): AdmissionReviewResponse {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: `cloister: ${e.code}: ${e.message}` } },
  };
}
