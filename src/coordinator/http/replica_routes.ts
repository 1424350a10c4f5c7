import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { z } from 'zod';
import { CoordinatorError } from '../codes.js';
import type { RateLimiter } from '../rate_limit.js';
import type { ReplicaKeyService } from '../replica_key_service.js';

/**
 * POST /api/v1/replica/data-key: a new replica asks this one for the state's data key
 * (replica_key_service.ts decides). The body is checked with zod at the edge; the answer is
 * { envelope: base64, keyId: hex }. Share the activation rate limiter when there is one: each
 * request costs an evidence verification, like an activation.
 */
export const REPLICA_DATA_KEY_PATH = '/api/v1/replica/data-key';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').max(2 * 1024 * 1024);

export const replicaDataKeyBody = z.strictObject({
  nonce: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes of hex'),
  evidence: z.strictObject({
    tee: z.enum(['simulated', 'sgx', 'tdx', 'snp']),
    data: base64.min(4),
    certs: z.array(base64).max(8).optional(),
  }),
  publicKey: z.string().min(32).max(1024).startsWith('-----BEGIN PUBLIC KEY-----', 'must be an SPKI PEM public key'),
});
export type ReplicaDataKeyBody = z.output<typeof replicaDataKeyBody>;

export const replicaDataKeyAnswer = z.strictObject({
  envelope: base64.min(4),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 8 bytes of lowercase hex'),
  simulation: z.literal(true).optional(),
});

export function registerReplicaRoutes<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, L>,
  service: ReplicaKeyService, o: { limiter?: RateLimiter; simulation?: boolean } = {}): void {
  const limit = (req: FastifyRequest): void => {
    const r = o.limiter?.take(req.ip) ?? true;
    if (r !== true) {
      throw new CoordinatorError('RATE_LIMITED', `too many requests from ${req.ip}; retry in ${r.retryAfterSeconds} s`, { detail: { retryAfterSeconds: r.retryAfterSeconds } });
    }
  };
  app.post(REPLICA_DATA_KEY_PATH, async (req) => {
    limit(req);
    const parsed = replicaDataKeyBody.safeParse(req.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
      throw new CoordinatorError('REQUEST_INVALID', `invalid request body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { detail: { issues } });
    }
    const b = parsed.data;
    const answer = await service.handOver({
      nonce: Buffer.from(b.nonce, 'hex'),
      evidence: { tee: b.evidence.tee, data: Buffer.from(b.evidence.data, 'base64'), certs: (b.evidence.certs ?? []).map((c) => Buffer.from(c, 'base64')) },
      publicKey: b.publicKey,
    });
    return { envelope: Buffer.from(answer.envelope).toString('base64'), keyId: answer.keyId, ...(o.simulation === true ? { simulation: true as const } : {}) };
  });
}
