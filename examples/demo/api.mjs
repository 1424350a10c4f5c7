#!/usr/bin/env node
// Demo API (examples/demo, started by `cloister demo` through `cloister run`). An ordinary HTTPS
// service that knows nothing about Cloister: it reads its certificate, key and CA from the files
// its arguments name, requires client certificates from that CA (mTLS), lets in only the
// workloads named by --allow, and stores values in the db over mTLS with its own certificate.
//
//   api.mjs --cert F --key F --ca F --allow client[,other] --db-workload db
//   env: API_LISTEN (127.0.0.1:0), DB_URL (https://127.0.0.1:PORT), API_INSTANCE, SESSION_SECRET
import { createHmac } from 'node:crypto';
import { readFileSync, watchFile } from 'node:fs';
import { createServer, request } from 'node:https';
import { checkServerIdentity } from 'node:tls';

const args = parseArgs(process.argv.slice(2), ['cert', 'key', 'ca', 'allow', 'db-workload']);
let tls = { cert: readFileSync(args.cert), key: readFileSync(args.key), ca: readFileSync(args.ca) };
const allowed = new Set(args.allow.split(','));
const me = process.env.API_INSTANCE ?? 'api';

const server = createServer({ ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (req, res) => {
  const peer = workloadOf(req.socket.getPeerCertificate());
  if (peer === undefined || !allowed.has(peer.workload)) return reply(res, 403, { error: `workload ${peer?.workload ?? '(none)'} may not call the api` });
  if (req.method === 'GET' && req.url === '/hello') {
    // a session token only this api instance can make (its per-instance secret from the manifest)
    const token = createHmac('sha256', Buffer.from(process.env.SESSION_SECRET ?? '', 'hex')).update(peer.instance).digest('hex').slice(0, 16);
    return reply(res, 200, { message: `hello ${peer.workload}/${peer.instance}`, servedBy: me, token });
  }
  const kv = /^\/kv\/([A-Za-z0-9._-]{1,64})$/.exec(req.url ?? '');
  if (kv !== null && (req.method === 'GET' || req.method === 'PUT')) return forwardToDb(req, res, kv[1]);
  reply(res, 404, { error: 'not found' });
});

// cloister run renews the certificate while we run (rewriting the files): serve and call with the new one
watchFile(args.cert, { interval: 2000 }, () => {
  try {
    tls = { cert: readFileSync(args.cert), key: readFileSync(args.key), ca: readFileSync(args.ca) };
    server.setSecureContext({ ...tls, minVersion: 'TLSv1.3' });
  } catch (e) {
    console.error(`api: keeping the old certificate, reload failed: ${e.message}`);
  }
}).unref();

function forwardToDb(req, res, key) {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const upstream = request(`${process.env.DB_URL}/kv/${key}`, {
      method: req.method,
      ...tls,
      // the db must be the db workload (its certificate's cloister:// URI), not just any holder of a CA certificate
      checkServerIdentity: (host, cert) => checkServerIdentity(host, cert) ?? (workloadOf(cert)?.workload === args['db-workload'] ? undefined : new Error('not the db workload')),
    }, (up) => {
      const chunks = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => {
        res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/octet-stream' });
        res.end(Buffer.concat(chunks));
      });
    });
    upstream.on('error', (e) => reply(res, 502, { error: `db: ${e.message}` }));
    upstream.end(Buffer.concat(body));
  });
}

function reply(res, status, json) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(json)}\n`);
}

/** The workload identity in a Cloister certificate: URI SAN cloister://workload/NAME/INSTANCE. */
function workloadOf(cert) {
  const m = /URI:cloister:\/\/workload\/([a-z0-9-]+)\/([^,\s]+)/.exec(cert?.subjectaltname ?? '');
  return m === null ? undefined : { workload: m[1], instance: m[2] };
}

function parseArgs(argv, names) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const n of names) if (out[n] === undefined) fail(`missing --${n}`);
  return out;
}

function fail(message) {
  process.stderr.write(`api: ${message}\n`);
  process.exit(1);
}

const [host, port] = (process.env.API_LISTEN ?? '127.0.0.1:0').split(':');
server.listen(Number(port), host, () => {
  console.log(`api ${me} listening on https://${host}:${server.address().port} (mTLS: callers need a certificate from the coordinator's CA)`);
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`api ${me}: ${signal}, shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
