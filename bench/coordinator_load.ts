import { Agent, request } from 'node:https';

/**
 * Load generation for bench/coordinator.ts: a keep-alive HTTPS JSON client pinned to the
 * coordinator's root CA, closed-loop runners (N clients, each starts its next activation when
 * the previous one answers) and an open-loop runner (a fixed offered rate, so latency is not
 * just Little's law of the concurrency).
 */
export interface Client {
  post(path: string, body: string): Promise<{ status: number; json: unknown }>;
  close(): void;
}

/**
 * One TLS session per concurrent client, reused (keep-alive): a workload activates once, but
 * 50 fresh ECDHE handshakes per round would measure TLS, not activation. The coordinator
 * answers keep-alive as any fastify server does.
 */
export function createClient(baseUrl: string, rootCaPem: string, maxSockets: number): Client {
  const agent = new Agent({ keepAlive: true, maxSockets, ca: rootCaPem });
  const base = new URL(baseUrl);
  return {
    post(path, body) {
      return new Promise((resolve, reject) => {
        const req = request(
          { host: base.hostname, port: base.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              try {
                resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
              } catch (e) {
                reject(e as Error);
              }
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly firstFailure?: string;
  readonly seconds: number;
  /** per-operation latencies, milliseconds, sorted */
  readonly latenciesMs: readonly number[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** An operation: resolves to undefined on success, or a short failure description. */
export type Op = (i: number) => Promise<string | undefined>;

function collector() {
  const lat: number[] = [];
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  return {
    async run(op: Op, i: number): Promise<void> {
      const t0 = performance.now();
      let why: string | undefined;
      try {
        why = await op(i);
      } catch (e) {
        why = (e as Error).message;
      }
      lat.push(performance.now() - t0);
      if (why === undefined) ok++;
      else {
        failed++;
        firstFailure ??= why;
      }
    },
    result(seconds: number): LoadResult {
      return { ok, failed, seconds, latenciesMs: lat.sort((a, b) => a - b), ...(firstFailure === undefined ? {} : { firstFailure }) };
    },
  };
}

/** `concurrency` loops share `total` operations (or run until `durationMs`), back to back. */
export async function closedLoop(o: { concurrency: number; total?: number; durationMs?: number; op: Op }): Promise<LoadResult> {
  const c = collector();
  let next = 0;
  const t0 = performance.now();
  const more = () => (o.total !== undefined ? next < o.total : performance.now() - t0 < (o.durationMs ?? 0));
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (more()) await c.run(o.op, next++);
    }),
  );
  return c.result((performance.now() - t0) / 1000);
}

/**
 * Offered load: operation i starts at i/ratePerSecond seconds whatever happened to the others
 * (workloads starting on schedule), over the client's sockets. When the server falls behind,
 * requests queue and the latency shows it, instead of the load quietly dropping.
 */
export async function openLoop(o: { ratePerSecond: number; durationMs: number; op: Op }): Promise<LoadResult> {
  const c = collector();
  const total = Math.round((o.ratePerSecond * o.durationMs) / 1000);
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / o.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(c.run(o.op, i));
  }
  await Promise.all(pending);
  return c.result((performance.now() - t0) / 1000);
}
