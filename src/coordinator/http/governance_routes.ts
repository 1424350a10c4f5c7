import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { SIGNED_REQUEST_HEADER } from '../../governance/index.js';
import { CoordinatorError } from '../codes.js';
import type { RequestCredentials } from '../principal.js';
import type { CoordinatorApi } from '../recovery.js';
import { approveBody, auditQuery, proposalParams, proposeBody, secretParams, setSecretBody } from './schemas.js';
import { parse, peerDer } from './parse.js';

/**
 * User endpoints (docs/api.md "Governance"): manifest updates with approval, history, the audit
 * log and user secrets. Each handler hands the caller's credentials (TLS client certificate,
 * signed-request header, and the exact method, path and body bytes a signature covers) to the
 * coordinator, which authenticates and authorizes before anything else.
 *
 * Registered in their own encapsulated scope with a JSON parser that keeps the raw body, because
 * a signed request signs the bytes sent, not a re-serialization of the parsed JSON.
 */
const RAW_BODY = Symbol('rawBody');
type WithRaw = FastifyRequest & { [RAW_BODY]?: Buffer };

function credentials(req: FastifyRequest): RequestCredentials {
  const header = req.headers[SIGNED_REQUEST_HEADER];
  if (Array.isArray(header)) throw new CoordinatorError('REQUEST_INVALID', `send one ${SIGNED_REQUEST_HEADER} header, not ${header.length}`);
  return {
    peerDer: peerDer(req),
    signatureHeader: header,
    method: req.method,
    path: req.url,
    body: new Uint8Array((req as WithRaw)[RAW_BODY] ?? Buffer.alloc(0)),
  };
}

export function registerGovernanceRoutes<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, L>,
  o: { coordinator: () => CoordinatorApi; simulation: boolean }): void {
  const sim = o.simulation ? { simulation: true as const } : {};
  const c = o.coordinator;
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      (req as WithRaw)[RAW_BODY] = body as Buffer;
      try {
        done(null, (body as Buffer).length === 0 ? undefined : JSON.parse((body as Buffer).toString('utf8')));
      } catch {
        done(new CoordinatorError('REQUEST_INVALID', 'the request body is not valid JSON'), undefined);
      }
    });

    scope.post('/api/v1/manifest/proposals', async (req, reply) => {
      const b = parse(proposeBody, req.body, 'request body');
      const { created, ...p } = await c().propose(credentials(req), b.manifest);
      return reply.code(created ? 201 : 200).send({ ...p, ...sim });
    });
    scope.get('/api/v1/manifest/proposals', async (req) => ({ proposals: await c().proposals(credentials(req)), ...sim }));
    scope.get('/api/v1/manifest/proposals/:hash', async (req) => {
      const { hash } = parse(proposalParams, req.params, 'path');
      return { ...(await c().proposal(credentials(req), hash)), ...sim };
    });
    scope.post('/api/v1/manifest/proposals/:hash/approvals', async (req) => {
      const { hash } = parse(proposalParams, req.params, 'path');
      const b = parse(approveBody, req.body, 'request body');
      return { ...(await c().approve(credentials(req), hash, b.signature)), ...sim };
    });
    scope.get('/api/v1/manifest/history', async (req) => ({ history: await c().history(credentials(req)), ...sim }));

    scope.get('/api/v1/audit', async (req) => {
      const q = parse(auditQuery, req.query, 'query');
      return { ...(await c().auditLog(credentials(req), q.from, q.limit)), ...sim };
    });

    scope.put('/api/v1/secrets/:name', async (req) => {
      const { name } = parse(secretParams, req.params, 'path');
      const b = parse(setSecretBody, req.body, 'request body');
      return { ...(await c().setSecret(credentials(req), name, new Uint8Array(Buffer.from(b.value, 'base64')))), ...sim };
    });
    scope.get('/api/v1/secrets/:name', async (req) => {
      const { name } = parse(secretParams, req.params, 'path');
      const s = await c().getSecret(credentials(req), name);
      return { name: s.name, value: Buffer.from(s.value).toString('base64'), setAt: s.setAt, ...sim };
    });
  });
}
