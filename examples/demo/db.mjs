#!/usr/bin/env node
// Demo key-value "database" (examples/demo, started by `cloister demo` through `cloister run`).
// Serves GET/PUT /kv/KEY over mTLS to the workloads named by --allow, and keeps every value in a
// Cloister protected volume: encrypted and authenticated on disk with the volume key the
// manifest gives it, and protected against rollback by the coordinator, which keeps the volume's
// latest version in its sealed store (the manifest declares the volume under protectedVolumes;
// `--versions FILE` uses a local file instead; see docs/protected-volumes.md). It refuses to start
// when the volume was tampered with, swapped or rolled back.
//
//   db.mjs --cert F --key F --ca F --allow api --data DIR --key-file F [--versions FILE]
//   env: DB_LISTEN (127.0.0.1:0), CLOISTER_COORDINATOR (the coordinator URL; the demo sets it for cloister run and the program)
import { readFileSync, watchFile } from 'node:fs';
import { createServer } from 'node:https';
import { coordinatorVersionAuthority, fileVersionAuthority, openProtectedVolume } from 'cloister';

const args = parseArgs(process.argv.slice(2), ['cert', 'key', 'ca', 'allow', 'data', 'key-file'], ['versions']);
const allowed = new Set(args.allow.split(','));

let volume;
try {
  volume = await openProtectedVolume({
    dir: args.data,
    key: new Uint8Array(readFileSync(args['key-file'])),
    volumeId: 'demo-db',
    versions:
      args.versions !== undefined
        ? fileVersionAuthority(args.versions)
        : coordinatorVersionAuthority({
            coordinatorUrl: process.env.CLOISTER_COORDINATOR ?? fail('CLOISTER_COORDINATOR is not set (start the db with cloister run)'),
            rootCaPem: readFileSync(args.ca, 'utf8'),
            // re-read on every request: cloister run renews the certificate while the db runs
            credentials: () => ({ certificatePem: readFileSync(args.cert, 'utf8'), keyPem: readFileSync(args.key, 'utf8') }),
          }),
  });
} catch (e) {
  fail(`refusing to start: protected volume ${args.data}: ${e.code ?? 'error'}: ${e.message}`);
}

const server = createServer(
  { cert: readFileSync(args.cert), key: readFileSync(args.key), ca: readFileSync(args.ca), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
  (req, res) => {
    const peer = /URI:cloister:\/\/workload\/([a-z0-9-]+)\//.exec(req.socket.getPeerCertificate()?.subjectaltname ?? '')?.[1];
    if (peer === undefined || !allowed.has(peer)) return send(res, 403, `workload ${peer ?? '(none)'} may not use the db\n`);
    const kv = /^\/kv\/([A-Za-z0-9._-]{1,64})$/.exec(req.url ?? '');
    if (kv === null) return send(res, 404, 'not found\n');
    const path = `kv/${kv[1]}`;
    if (req.method === 'GET') {
      if (!volume.list().includes(path)) return send(res, 404, 'no such key\n');
      return volume.readFile(path).then((v) => send(res, 200, Buffer.from(v)), (e) => send(res, 500, `${e.code}\n`));
    }
    if (req.method !== 'PUT') return send(res, 405, 'GET or PUT\n');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        await volume.writeFile(path, new Uint8Array(Buffer.concat(chunks)));
        const state = await volume.commit();
        send(res, 200, JSON.stringify({ key: kv[1], volumeVersion: state.version }));
      } catch (e) {
        send(res, 500, `${e.code ?? e.message}\n`);
      }
    });
  },
);

function send(res, status, body) {
  res.writeHead(status, { 'content-type': status === 200 && typeof body === 'string' && body.startsWith('{') ? 'application/json' : 'text/plain' });
  res.end(body);
}

// cloister run renews the certificate while we run (rewriting the files): serve with the new one
watchFile(args.cert, { interval: 2000 }, () => {
  try {
    server.setSecureContext({ cert: readFileSync(args.cert), key: readFileSync(args.key), ca: readFileSync(args.ca), minVersion: 'TLSv1.3' });
  } catch (e) {
    process.stderr.write(`db: keeping the old certificate, reload failed: ${e.message}\n`);
  }
}).unref();

function parseArgs(argv, names) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const n of names) if (out[n] === undefined) fail(`missing --${n}`);
  return out;
}

function fail(message) {
  process.stderr.write(`db: ${message}\n`);
  process.exit(1);
}

const [host, port] = (process.env.DB_LISTEN ?? '127.0.0.1:0').split(':');
server.listen(Number(port), host, () => {
  const s = volume.state();
  console.log(`db listening on https://${host}:${server.address().port} (protected volume demo-db: version ${s.version}, ${volume.list().length} key(s), encrypted on disk)`);
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`db: ${signal}, shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
