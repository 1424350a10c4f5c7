#!/usr/bin/env node
// Demo client (examples/demo, started by `cloister demo` through `cloister run`). Calls the api
// over mTLS with the certificate the coordinator issued to it, checks that the server is the
// api workload, stores a value through the api (which keeps it in the db) and reads it back.
// Exit 0 when every call worked.
//
//   client.mjs --cert F --key F --ca F --api-workload api
//   env: API_URL (https://127.0.0.1:PORT), CLIENT_INSTANCE
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { checkServerIdentity } from 'node:tls';

const args = parseArgs(process.argv.slice(2), ['cert', 'key', 'ca', 'api-workload']);
const tls = { cert: readFileSync(args.cert), key: readFileSync(args.key), ca: readFileSync(args.ca) };
const me = process.env.CLIENT_INSTANCE ?? 'client';

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${process.env.API_URL}${path}`, {
      method,
      ...tls,
      checkServerIdentity: (host, cert) => checkServerIdentity(host, cert) ?? (workloadOf(cert) === args['api-workload'] ? undefined : new Error('not the api workload')),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8').trim() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function workloadOf(cert) {
  return /URI:cloister:\/\/workload\/([a-z0-9-]+)\//.exec(cert?.subjectaltname ?? '')?.[1];
}

function parseArgs(argv, names) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const n of names) if (out[n] === undefined) {
    process.stderr.write(`client: missing --${n}\n`);
    process.exit(1);
  }
  return out;
}

const value = `stored by ${me} at ${new Date().toISOString()}`;
let ok = true;
try {
  const hello = await call('GET', '/hello');
  console.log(`client ${me}: GET /hello -> ${hello.status} ${hello.body}`);
  const put = await call('PUT', '/kv/greeting', value);
  console.log(`client ${me}: PUT /kv/greeting -> ${put.status} ${put.body}`);
  const get = await call('GET', '/kv/greeting');
  console.log(`client ${me}: GET /kv/greeting -> ${get.status} ${get.body}`);
  ok = hello.status === 200 && put.status === 200 && get.status === 200 && get.body === value;
} catch (e) {
  console.log(`client ${me}: call failed: ${e.message}`);
  ok = false;
}
console.log(`client ${me}: ${ok ? 'all calls succeeded' : 'FAILED'}`);
process.exit(ok ? 0 : 1);
