import { request } from 'node:https';

/** POSTs/GETs to the webhook over real TLS, trusting only `ca` and checking `servername`. */
export function call(url: string, o: { method: 'GET' | 'POST'; path: string; body?: string; ca: string; servername: string; contentType?: string }): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname, port: u.port, method: o.method, path: o.path, ca: o.ca, servername: o.servername,
        headers: o.body === undefined ? {} : { 'content-type': o.contentType ?? 'application/json', 'content-length': Buffer.byteLength(o.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}
