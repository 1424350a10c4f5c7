import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server on 127.0.0.1 (random port) standing in for Intel PCS / AMD KDS. Routes
 * map "path?query" (exact) or a function to a reply; 'hang' never answers. Every request's
 * path+query is recorded so tests can count attempts.
 */
export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
}
export type Route = Reply | 'hang' | ((n: number) => Reply | 'hang');

export interface FakeServer {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startFakeServer(routes: Record<string, Route>): Promise<FakeServer> {
  const requests: string[] = [];
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = req.url ?? '/';
    requests.push(key);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const route = routes[key];
    const reply = typeof route === 'function' ? route(n) : route;
    if (reply === 'hang') {
      hanging.add(res);
      return;
    }
    if (reply === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(reply.status ?? 200, reply.headers ?? {});
    res.end(reply.body === undefined ? undefined : typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, read, released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Instant sleep that records requested delays (tests never wait for backoff). */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}
