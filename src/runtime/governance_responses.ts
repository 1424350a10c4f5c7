import { z } from 'zod';

/**
 * Schemas of the coordinator's governance answers (docs/governance.md, the HTTP contract of
 * issue #6), checked at the edge before any field is used. Like responses.ts, objects are not
 * strict: a newer coordinator may add fields, which older clients ignore.
 */
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'want 64 lowercase hex digits');
const hex = z.string().regex(/^([0-9a-f]{2})+$/, 'want lowercase hex');
/** canonical base64 only: decoding and re-encoding must give the same text */
const base64 = z.string().refine((s) => Buffer.from(s, 'base64').toString('base64') === s, 'not canonical base64');
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO time');
const count = z.number().int().min(0);

export const proposalSchema = z.object({
  proposalHash: hex64,
  manifestHash: hex64,
  previousManifestHash: hex64,
  change: z.enum(['manifest-update', 'package-update']),
  proposedBy: z.string().min(1),
  proposedAt: isoTime,
  approvedBy: z.array(z.string()),
  needed: count,
  status: z.enum(['open', 'applied', 'stale']),
});
export type ProposalView = z.infer<typeof proposalSchema>;

export const proposalWithManifestSchema = proposalSchema.extend({ manifest: z.string() });
export type ProposalWithManifest = z.infer<typeof proposalWithManifestSchema>;

export const proposalListSchema = z.object({ proposals: z.array(proposalSchema) });

/** manifestHash stays the proposal's; currentManifestHash is the manifest in force after the request */
export const approvalResultSchema = proposalSchema.extend({ applied: z.boolean(), currentManifestHash: hex64 });
export type ApprovalResult = z.infer<typeof approvalResultSchema>;

export const historySchema = z.object({
  history: z.array(
    z.object({
      manifestHash: hex64,
      previousManifestHash: hex64.nullable(),
      appliedAt: isoTime,
      proposalHash: hex64.nullable(),
      approvedBy: z.array(z.string()),
    }),
  ),
});
export type HistoryEntry = z.infer<typeof historySchema>['history'][number];

/** Record syntax is checked again, exactly, by verifyAuditLog (src/audit/record.ts). */
const auditRecordSchema = z.object({
  seq: z.number().int().min(1),
  time: z.string(),
  kind: z.string(),
  actor: z.string(),
  detail: z.json(),
  prevHash: hex64,
  hash: hex64,
  signature: hex,
});
export const auditHeadSchema = z.object({ seq: count, hash: hex64 });
export const auditPageSchema = z.object({ entries: z.array(auditRecordSchema), head: auditHeadSchema });

export const secretSetSchema = z.object({ name: z.string().min(1), size: count });
export const secretGetSchema = z.object({ name: z.string().min(1), value: base64, setAt: isoTime });

export const recoveryStatusSchema = z.object({
  state: z.string(),
  threshold: count,
  total: count,
  have: count,
  keys: z.record(z.string(), z.object({ fingerprint: hex64, envelope: base64 })),
});
export type RecoveryStatus = z.infer<typeof recoveryStatusSchema>;

export const recoverResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('collecting'), have: count, need: count }),
  z.object({ status: z.literal('complete'), state: z.string() }),
]);
export type RecoverResult = z.infer<typeof recoverResultSchema>;
