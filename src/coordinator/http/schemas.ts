import { z } from 'zod';

/** Request schemas at the trust boundary (docs/api.md). Everything else is rejected. */
const hex = (min: number, max: number) =>
  z
    .string()
    .regex(/^([0-9a-fA-F]{2})*$/, 'must be hex')
    .refine((s) => s.length / 2 >= min && s.length / 2 <= max, `must be ${min === max ? min : `${min}-${max}`} bytes`);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').max(2 * 1024 * 1024);

export const setManifestBody = z.strictObject({ manifest: z.string().min(1).max(1024 * 1024) });

export const attestationQuery = z.strictObject({ nonce: hex(16, 64) });

export const activateBody = z.strictObject({
  workload: z.string().min(1).max(63),
  instanceId: z.string().min(1).max(63).optional(),
  nonce: hex(32, 32),
  evidence: z.strictObject({
    tee: z.enum(['simulated', 'sgx', 'tdx', 'snp']),
    data: base64.min(4),
    certs: z.array(base64).max(8).optional(),
  }),
  csr: z.string().min(64).max(16 * 1024),
});

export const deactivateBody = z.strictObject({ workload: z.string().min(1).max(63), instanceId: z.string().min(1).max(63) });

export const volumeParams = z.strictObject({ volumeId: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'must be a volume name from the manifest') });

export const advanceVolumeBody = z.strictObject({
  expectedVersion: z.int().min(0),
  next: z.strictObject({ version: z.int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits') }),
});

// --- governance (docs/governance.md) ---
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
export const proposeBody = setManifestBody;
export const proposalParams = z.strictObject({ hash: hex64 });
export const approveBody = z.strictObject({ signature: z.string().regex(/^([0-9a-f]{2}){8,1024}$/, 'must be lowercase hex') });
export const auditQuery = z.strictObject({
  from: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
export const secretParams = z.strictObject({ name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'must be a secret name from the manifest') });
export const setSecretBody = z.strictObject({ value: base64.min(1) });
