import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that a test can cut and heal, to partition one coordinator replica
 * from etcd while the others keep their direct connections. `cut()` destroys every open
 * connection and refuses new ones (accepted, then destroyed at once: the client sees a reset,
 * as with a dead link that a firewall rejects); `heal()` forwards again on the same port, so
 * the replica reconnects to the address it was started with.
 */
export interface TcpProxy {
  /** `127.0.0.1:PORT`, usable as an etcd endpoint */
  readonly endpoint: string;
  /** connections open now */
  readonly open: number;
  /** true between cut() and heal() */
  readonly isCut: boolean;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr !== 'object') throw new Error('tcp proxy: no listening address');
  const destroyAll = () => {
    for (const p of pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };
  return {
    endpoint: `127.0.0.1:${addr.port}`,
    get open() {
      return pairs.size;
    },
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      destroyAll();
    },
    heal() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut = true;
        destroyAll();
        server.close(() => resolve());
      }),
  };
}
