import { X509Certificate } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { CoordinatorError } from '../codes.js';
import type { CoordinatorHolder, RecoveryService } from '../recovery.js';
import type { CoordinatorMetrics } from '../metrics.js';
import { createRateLimiter } from '../rate_limit.js';
import { problemFor } from './problem.js';
import { registerRecoveryRoutes } from './recovery_routes.js';
import { registerGovernanceRoutes } from './governance_routes.js';
import { parse, peerDer } from './parse.js';
import { registerReplicaRoutes } from './replica_routes.js';
import type { ReplicaKeyService } from '../replica_key_service.js';
import { activateBody, advanceVolumeBody, attestationQuery, deactivateBody, setManifestBody, volumeParams } from './schemas.js';

export interface ServerOptions {
  /** read on every request: a completed recovery replaces the coordinator while the server runs */
  readonly coordinator: CoordinatorHolder;
  readonly recovery: RecoveryService;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly log: Logger;
  readonly metrics: CoordinatorMetrics;
  readonly clock: Clock;
  readonly simulation: boolean;
  /** activation + nonce requests per second per client address (burst = 2x) */
  readonly activationRatePerSecond: number;
  /** replicas: hands the data key to attested new replicas (POST /api/v1/replica/data-key) */
  readonly replicaKeys?: ReplicaKeyService;
  /** false while the store is out of reach: /healthz answers 503 so the replica leaves service */
  readonly healthy?: () => boolean;
  /** replicas on etcd: this replica's id and whether it leads (for status and operators) */
  readonly replica?: () => { readonly replicaId: string; readonly leader: boolean } | undefined;
}

const BODY_LIMIT = 1024 * 1024;


/**
 * The coordinator's HTTPS API (docs/api.md) on fastify: one place maps typed errors to RFC 7807
 * problems, one hook marks every response in simulation mode, and handlers stay thin.
 */
export async function createServer(o: ServerOptions) {
  const app = Fastify({
    // per-request logs are noise at info; the coordinator logs each activation once itself
    loggerInstance: o.log.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: BODY_LIMIT,
    https: { cert: o.tls.certPem, key: o.tls.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    return503OnClosing: true,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
  });
  const limiter = createRateLimiter({ clock: o.clock, perSecond: o.activationRatePerSecond, burst: o.activationRatePerSecond * 2 });
  const sim = o.simulation ? { simulation: true as const } : {};
  const cur = () => o.coordinator.current;

  app.addHook('onSend', async (_req, reply, payload) => {
    if (o.simulation) reply.header('cloister-simulation', 'true');
    return payload;
  });
  app.setErrorHandler((err: unknown, _req, reply) => {
    const e = err as { statusCode?: number; code?: string };
    // fastify's own errors (body too large, bad JSON, wrong content type) keep their status
    if (!(err instanceof Error && 'detail' in err) && typeof e.statusCode === 'number' && e.statusCode < 500) {
      const code = e.statusCode === 413 ? 'REQUEST_TOO_LARGE' : 'REQUEST_INVALID';
      return reply.code(e.statusCode).type('application/problem+json').send({
        type: `https://cloister.dev/errors#${code}`, title: code, status: e.statusCode, code, detail: (err as Error).message, ...sim,
      });
    }
    const p = problemFor(err, { simulation: o.simulation });
    if (p.status >= 500 && p.code === 'INTERNAL_ERROR') o.log.error({ err }, 'request failed');
    if (p.code === 'RATE_LIMITED') reply.header('retry-after', String((err as CoordinatorError).detail?.retryAfterSeconds ?? 1));
    return reply.code(p.status).type('application/problem+json').send(p);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type('application/problem+json').send({
      type: 'https://cloister.dev/errors#NOT_FOUND', title: 'NOT_FOUND', status: 404, code: 'NOT_FOUND', detail: `no route ${req.method} ${req.url}`, ...sim,
    }),
  );

  const limit = (req: FastifyRequest) => {
    const r = limiter.take(req.ip);
    if (r !== true) {
      throw new CoordinatorError('RATE_LIMITED', `too many requests from ${req.ip}; retry in ${r.retryAfterSeconds} s`, { detail: { retryAfterSeconds: r.retryAfterSeconds } });
    }
  };

  app.get('/healthz', async () => {
    if (o.healthy?.() === false) throw new CoordinatorError('STORE_UNREACHABLE', 'the state store (etcd) does not answer this replica: it refuses writes until it does');
    return { ok: true, ...sim };
  });
  app.get('/metrics', async (_req, reply) => reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics()));

  app.get('/api/v1/status', async () => {
    const c = cur();
    return {
      ...c.status(),
      rootCaFingerprint: c.root === undefined ? null : new X509Certificate(c.root.certPem).fingerprint256.replace(/:/g, '').toLowerCase(),
      ...(o.replica?.() === undefined ? {} : { replica: o.replica() }),
      ...sim,
    };
  });

  app.post('/api/v1/manifest', async (req) => {
    const body = parse(setManifestBody, req.body, 'request body');
    return { ...(await cur().setManifest(body.manifest)), ...sim };
  });
  app.get('/api/v1/manifest', async () => {
    const m = cur().manifest();
    return { manifest: m.text, manifestHash: m.hash, ...sim };
  });

  app.get('/api/v1/attestation', async (req) => {
    const q = parse(attestationQuery, req.query, 'query');
    const a = await cur().attestation(Buffer.from(q.nonce, 'hex'));
    return {
      tee: a.tee,
      evidence: Buffer.from(a.evidence).toString('base64'),
      ...(a.certs === undefined ? {} : { certs: [Buffer.from(a.certs).toString('base64')] }),
      rootCa: a.rootCaPem,
      ...(a.intermediateCaPem === undefined ? {} : { intermediateCa: a.intermediateCaPem }),
      manifestHash: a.manifestHash,
      auditHead: { seq: a.auditHead.seq, hash: a.auditHead.hash },
      ...sim,
    };
  });

  app.post('/api/v1/nonce', async (req) => {
    limit(req);
    const n = cur().issueNonce();
    return { nonce: Buffer.from(n.nonce).toString('hex'), expiresAt: n.expiresAt.toISOString(), ...sim };
  });

  app.post('/api/v1/activate', async (req) => {
    limit(req);
    const b = parse(activateBody, req.body, 'request body');
    const r = await cur().activate({
      workload: b.workload,
      ...(b.instanceId === undefined ? {} : { instanceId: b.instanceId }),
      nonce: Buffer.from(b.nonce, 'hex'),
      evidence: { tee: b.evidence.tee, data: Buffer.from(b.evidence.data, 'base64'), certs: (b.evidence.certs ?? []).map((x) => Buffer.from(x, 'base64')) },
      csrPem: b.csr,
    });
    return {
      workload: r.workload,
      instanceId: r.instanceId,
      certificate: r.certificatePem,
      chain: r.chainPem,
      expiresAt: r.expiresAt.toISOString(),
      files: Object.fromEntries([...r.files].map(([p, v]) => [p, Buffer.from(v).toString('base64')])),
      env: r.env,
      argv: r.argv,
      selfKeyPlaceholder: r.selfKeyPlaceholder,
      manifestHash: r.manifestHash,
      ...sim,
    };
  });


  app.post('/api/v1/deactivate', async (req, reply: FastifyReply) => {
    const b = parse(deactivateBody, req.body, 'request body');
    await cur().deactivate(b.workload, b.instanceId, peerDer(req));
    return reply.code(200).send({ ok: true, ...sim });
  });

  app.get('/api/v1/volumes/:volumeId', async (req) => {
    const { volumeId } = parse(volumeParams, req.params, 'path');
    const v = await cur().volume(peerDer(req), volumeId);
    return { volumeId, version: v?.version ?? 0, hash: v?.hash ?? null, ...sim };
  });

  app.post('/api/v1/volumes/:volumeId/advance', async (req) => {
    const { volumeId } = parse(volumeParams, req.params, 'path');
    const b = parse(advanceVolumeBody, req.body, 'request body');
    await cur().advanceVolume(peerDer(req), volumeId, b.expectedVersion, b.next);
    return { volumeId, version: b.next.version, hash: b.next.hash, ...sim };
  });

  app.get('/api/v1/crl', async (_req, reply) => reply.type('application/pkix-crl').send(Buffer.from(await cur().crl())));

  registerRecoveryRoutes(app, { recovery: o.recovery, simulation: o.simulation });
  registerGovernanceRoutes(app, { coordinator: cur, simulation: o.simulation });
  if (o.replicaKeys !== undefined) registerReplicaRoutes(app, o.replicaKeys, { limiter, simulation: o.simulation });

  return app;
}
