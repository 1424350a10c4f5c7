import { z } from 'zod';
import { ClientError } from './errors.js';

/**
 * Schemas of the coordinator's answers (docs/api.md), checked at the edge before any field is
 * used. Objects are not strict: a newer coordinator may add fields, which older clients ignore.
 */
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'want 64 lowercase hex digits');
/** canonical base64 only: decoding and re-encoding must give the same text */
const base64 = z.string().refine((s) => Buffer.from(s, 'base64').toString('base64') === s, 'not canonical base64');
const pem = z.string().regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'not a PEM certificate');

export const attestationResponseSchema = z.object({
  tee: z.enum(['simulated', 'sgx', 'tdx', 'snp']),
  evidence: base64,
  certs: z.array(base64).optional(),
  collateral: z.string().optional(),
  rootCa: pem,
  intermediateCa: pem.optional(),
  manifestHash: hex64.nullable(),
  /** the audit log head the evidence binds (docs/governance.md "Audit log") */
  auditHead: z.object({ seq: z.number().int().min(0), hash: hex64 }),
  simulation: z.literal(true).optional(),
});
export type AttestationResponse = z.infer<typeof attestationResponseSchema>;

export const nonceResponseSchema = z.object({ nonce: hex64, expiresAt: z.string() });

export const activateResponseSchema = z.object({
  workload: z.string().min(1),
  instanceId: z.string().min(1),
  certificate: pem,
  chain: z.array(pem),
  expiresAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO time'),
  files: z.record(z.string(), base64),
  env: z.record(z.string(), z.string()),
  argv: z.array(z.string()),
  /** stands for the instance's private key in files/env/argv (the coordinator never sees the key) */
  selfKeyPlaceholder: z.string().regex(/^cloister-self-key-[0-9a-f]{32}$/, "want 'cloister-self-key-' + 32 hex digits"),
  manifestHash: hex64,
  simulation: z.literal(true).optional(),
});
export type ActivateResponse = z.infer<typeof activateResponseSchema>;

export const statusResponseSchema = z.object({
  state: z.string(),
  manifestHash: hex64.nullable(),
  simulation: z.boolean(),
  version: z.string(),
  rootCaFingerprint: z.string(),
});
export type StatusResponse = z.infer<typeof statusResponseSchema>;

export const manifestGetResponseSchema = z.object({ manifest: z.string(), manifestHash: hex64 });
export const manifestSetResponseSchema = z.object({ manifestHash: hex64 });

/** Parses `json` with `schema`; COORDINATOR_RESPONSE_INVALID names the first bad field. */
export function parseResponse<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? '(body)' : issue.path.join('.');
  throw new ClientError('COORDINATOR_RESPONSE_INVALID', `${what}: the coordinator's answer does not match docs/api.md at '${path}': ${issue?.message ?? 'invalid'}`, {
    detail: { issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}

export function decodeBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
