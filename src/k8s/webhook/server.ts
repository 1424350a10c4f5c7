import { createSecureContext } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { admitPod, type EntrypointResolver } from '../admission.js';
import { K8sError } from '../errors.js';
import { diffJson } from '../json_patch.js';
import type { ConfigSource } from '../pod_mutation.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
import { allow, deny, parseAdmissionReview } from './review.js';

/**
 * The mutating admission webhook over HTTPS (the API server only calls webhooks over TLS, and
 * checks the certificate against the configuration's caBundle).
 * - POST /mutate: AdmissionReview v1 in, AdmissionReview v1 out (HTTP 200 for allow and deny;
 *   HTTP 400 for a body that is not an AdmissionReview).
 * - GET /healthz, GET /metrics.
 * Anything but a Pod CREATE is allowed untouched: the webhook configuration only sends pod
 * creations, and UPDATEs cannot change the fields we set.
 */
export interface WebhookServerOptions {
  /** the configuration, or a getter that throws K8sError while the manifest is unavailable */
  readonly config: ConfigSource;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly host?: string;
  /** 0 picks a free port (tests) */
  readonly port?: number;
  readonly metrics?: WebhookMetrics;
  /** reads image entrypoints for containers without a command (absent: never) */
  readonly entrypoints?: EntrypointResolver;
  readonly log?: (event: Record<string, unknown>, message: string) => void;
}

export interface WebhookServer {
  readonly url: string;
  readonly metrics: WebhookMetrics;
  close(): Promise<void>;
}

/** The API server sends at most ~3 MiB objects; a review wraps one (twice for UPDATE). */
const BODY_LIMIT = 8 * 1024 * 1024;

export function buildWebhookApp(o: WebhookServerOptions, metrics: WebhookMetrics): FastifyInstance {
  checkTls(o.tls);
  const app = Fastify({ https: { cert: o.tls.certPem, key: o.tls.keyPem, minVersion: 'TLSv1.2' }, bodyLimit: BODY_LIMIT, logger: false });
  const log = o.log ?? (() => undefined);

  app.setErrorHandler((err, _req, reply) => {
    // fastify's own errors (bad JSON, wrong content type, body too large) keep their status
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const code = status < 500 ? 'K8S_REVIEW_INVALID' : 'INTERNAL_ERROR';
    void reply.status(status).send({ code, message: (err as Error).message });
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` }));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.post('/mutate', async (req, reply) => {
    let request;
    try {
      request = parseAdmissionReview(req.body);
      if (request.operation === 'CREATE' && request.object === undefined) throw new K8sError('K8S_REVIEW_INVALID', 'a CREATE review has no request.object');
    } catch (e) {
      if (!(e instanceof K8sError)) throw e;
      return reply.status(400).send({ code: e.code, message: e.message });
    }
    const isPodCreate = request.kind.group === '' && request.kind.kind === 'Pod' && request.operation === 'CREATE' && request.subResource === undefined;
    if (!isPodCreate) return allow(request.uid, []);
    try {
      const r = await admitPod(request.object, o.config, o.entrypoints);
      const patch = diffJson(request.object, r.pod);
      const workload = r.workload ?? '(none)';
      metrics.admissions.inc({ workload, result: r.workload === undefined ? 'ignored' : patch.length === 0 ? 'unchanged' : 'mutated' });
      if (r.epcBytes !== undefined) metrics.epcRequestBytes.set({ workload, resource: r.epcResource ?? '' }, Number(r.epcBytes));
      if (r.workload !== undefined) log({ uid: request.uid, namespace: request.namespace, workload, tee: r.tee, ops: patch.length }, 'pod admitted');
      return allow(request.uid, patch);
    } catch (e) {
      if (!(e instanceof K8sError)) throw e;
      const known = e.code !== 'K8S_WORKLOAD_UNKNOWN' && e.code !== 'K8S_LABEL_INVALID';
      metrics.admissions.inc({ workload: known ? workloadLabel(request.object) : '(unknown)', result: e.code });
      log({ uid: request.uid, namespace: request.namespace, code: e.code }, 'pod denied');
      return deny(request.uid, e);
    }
  });
  return app;
}

export async function startWebhook(o: WebhookServerOptions): Promise<WebhookServer> {
  const metrics = o.metrics ?? createWebhookMetrics();
  const app = buildWebhookApp(o, metrics);
  try {
    await app.listen({ host: o.host ?? '0.0.0.0', port: o.port ?? 8443 });
  } catch (cause) {
    await app.close().catch(() => undefined);
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new K8sError('K8S_LISTEN_FAILED', `cannot listen on ${o.host ?? '0.0.0.0'}:${o.port ?? 8443} (${code}${code === 'EADDRINUSE' ? ': another process has the port' : ''})`, { cause, detail: { errno: code } });
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const host = o.host ?? '0.0.0.0';
  return { url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, metrics, close: () => app.close() };
}

/** Bad PEM or a key that does not match the certificate: one clear error at start-up, not a TLS stack trace. */
function checkTls(tls: WebhookServerOptions['tls']): void {
  try {
    createSecureContext({ cert: tls.certPem, key: tls.keyPem });
  } catch (cause) {
    throw new K8sError('K8S_TLS_INVALID', `webhook TLS certificate/key rejected: ${(cause as Error).message}`, { cause });
  }
}

/** For metrics only: a label value that cannot blow up cardinality with junk. */
function workloadLabel(obj: unknown): string {
  const v = (obj as { metadata?: { labels?: Record<string, unknown> } } | undefined)?.metadata?.labels?.['cloister.dev/workload'];
  return typeof v === 'string' && /^[a-z0-9-]{1,63}$/.test(v) ? v : '(invalid)';
}
