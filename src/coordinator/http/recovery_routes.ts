import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { z } from 'zod';
import { CoordinatorError } from '../codes.js';
import type { RecoveryService } from '../recovery.js';

// A v1 share is at most 57 + 64 bytes; 1 KiB of base64 leaves room and bounds the work.
const recoverBody = z.strictObject({
  share: z
    .string()
    .max(1024)
    .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { error: 'want standard base64' }),
});

/**
 * Recovery by key holders (docs/governance.md "Recovery"), public by design: a share is its own
 * credential (it must match the digest recorded for its index), and the envelopes are encrypted
 * to their holders.
 * - GET  /api/v1/recovery: the share set and every holder's encrypted share, in any state.
 * - POST /api/v1/recover { share: base64 of the DECRYPTED share v1 bytes }: only in `recovery`.
 */
export function registerRecoveryRoutes<L extends FastifyBaseLogger>(app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, L>, o: { recovery: RecoveryService; simulation: boolean }): void {
  const sim = o.simulation ? { simulation: true as const } : {};

  app.get('/api/v1/recovery', async () => ({ ...(await o.recovery.info()), ...sim }));

  app.post('/api/v1/recover', async (req) => {
    const r = recoverBody.safeParse(req.body);
    if (!r.success) {
      const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
      throw new CoordinatorError('REQUEST_INVALID', `invalid request body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { detail: { issues } });
    }
    return { ...(await o.recovery.submit(new Uint8Array(Buffer.from(r.data.share, 'base64')))), ...sim };
  });
}
