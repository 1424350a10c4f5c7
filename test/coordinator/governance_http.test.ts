import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { verifyAuditLog } from '../../src/audit/index.js';
import { startCoordinator, type RunningCoordinator } from '../../src/coordinator/index.js';
import { encodeSignedRequestHeader, signApproval, signRequest } from '../../src/governance/index.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { activate, attestCoordinator, deactivate, type Activation } from '../../src/runtime/index.js';
import { selfSignedUserCertificate } from '../../src/runtime/user_identity.js';
import { loadOrCreatePlatform, measurePath, simulatedProvider, type SimulatedPlatform } from '../../src/tee/index.js';

/**
 * Governance over real HTTPS: the authorization matrix (every user endpoint as every kind of
 * caller), quorum updates with concurrent approvals, user secrets reaching workloads, the audit
 * log, and a restart in the middle of an update.
 */
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const quiet = pino({ level: 'silent' });

interface Caller {
  readonly cert?: string;
  readonly key?: string;
  /** sign the request (Cloister-Signature) as this user with this key instead of mTLS */
  readonly signAs?: { user: string; key: KeyObject };
}

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

let dir: string;
let platform: SimulatedPlatform;
let measurement: string;
let coord: RunningCoordinator;
let root: string;
const keys: Record<string, KeyObject> = {};
const callers: Record<string, Caller> = {};
let workloadAct: Activation;
let revokedAct: Activation;

function send(method: string, path: string, body: unknown, who: Caller, base = coord.url): Promise<Answer> {
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (who.signAs !== undefined) {
    const auth = signRequest({ method, path, body: bytes }, { user: who.signAs.user, privateKey: who.signAs.key, time: new Date(), nonce: random.bytes(16) });
    headers['cloister-signature'] = encodeSignedRequestHeader(auth);
  }
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method, headers, ca: root, checkServerIdentity: () => undefined, ...(who.cert === undefined ? {} : { cert: who.cert, key: who.key }), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
        });
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

const pem = (k: KeyObject) => createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();
const keyPem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

function governedManifest(m: string, edit: (doc: Record<string, any>) => void = () => {}): string {
  const doc: Record<string, any> = {
    packages: { app: { simulated: { measurements: [m] } } },
    workloads: {
      api: { package: 'app', files: { '/etc/token': '{{ secrets.token.raw }}' }, protectedVolumes: ['data'] },
    },
    secrets: { token: { type: 'user', maxSize: 64 }, shared: { type: 'symmetric-key', size: 256 } },
    users: {
      alice: { publicKey: pem(keys.alice!) },
      bob: { publicKey: pem(keys.bob!) },
      carol: { publicKey: pem(keys.carol!) },
      dave: { publicKey: pem(keys.dave!) },
      eve: { publicKey: pem(keys.eve!) },
      frank: { certificate: frankCert },
    },
    roles: {
      owners: {
        users: ['alice', 'bob', 'carol', 'frank'],
        permissions: [
          { action: 'manifest.update' }, { action: 'approve' }, { action: 'audit.read' }, { action: 'status.read' },
          { action: 'secret.write', resources: ['token'] }, { action: 'secret.read', resources: ['token'] },
        ],
      },
      secops: { users: ['dave'], permissions: [{ action: 'package.update', resources: ['app'] }, { action: 'approve', resources: ['package'] }, { action: 'status.read' }] },
      viewers: { users: ['eve'], permissions: [{ action: 'status.read' }] },
    },
    approvals: { manifestUpdate: 2, packageUpdate: 1 },
  };
  edit(doc);
  return JSON.stringify(doc);
}
let frankCert: string;

describe('governance over HTTPS (simulation mode)', { timeout: 180_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-gov-'));
    platform = await loadOrCreatePlatform(join(dir, 'platform'));
    await writeFile(join(dir, 'program.js'), 'console.log("governed")\n');
    measurement = await measurePath(join(dir, 'program.js'));
    const now = new Date();
    for (const u of ['alice', 'bob', 'carol', 'dave', 'eve', 'frank', 'mallory']) {
      keys[u] = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      callers[u] = { cert: await selfSignedUserCertificate(keys[u]!, { now, random }), key: keyPem(keys[u]!) };
    }
    // frank is declared by a certificate that has expired
    frankCert = await selfSignedUserCertificate(keys.frank!, { now: new Date(now.getTime() - 3 * 3600_000), random });
    callers.frank = { cert: frankCert, key: keyPem(keys.frank!) };
    callers.anonymous = {};
    callers.aliceSigned = { signAs: { user: 'alice', key: keys.alice! } };

    coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir: join(dir, 'platform'), port: 0, log: quiet });
    const att = await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now, random });
    root = att.rootCaPem;
    const set = await send('POST', '/api/v1/manifest', { manifest: governedManifest(measurement) }, {});
    assert.equal(set.status, 200, JSON.stringify(set.json));

    // the workload's template needs the user secret: without it activation fails closed
    const early = await send('POST', '/api/v1/activate', { workload: 'api' }, {});
    assert.equal(early.status, 400);
    assert.equal((await send('PUT', '/api/v1/secrets/token', { value: Buffer.from('first').toString('base64') }, callers.alice!)).status, 200);
    const provider = simulatedProvider({ platform, measurement });
    workloadAct = await activate({ coordinatorUrl: coord.url, rootCaPem: root, workload: 'api', provider, now: new Date() });
    revokedAct = await activate({ coordinatorUrl: coord.url, rootCaPem: root, workload: 'api', provider, now: new Date() });
    await deactivate({ coordinatorUrl: coord.url, rootCaPem: root, workload: 'api', instanceId: revokedAct.instanceId, certificatePem: revokedAct.certificatePem, chainPem: revokedAct.chainPem, keyPem: revokedAct.keyPem });
    const chain = (a: Activation) => [a.certificatePem, ...a.chainPem].map((p) => p.trim()).join('\n') + '\n';
    callers.workload = { cert: chain(workloadAct), key: workloadAct.keyPem };
    callers.revoked = { cert: chain(revokedAct), key: revokedAct.keyPem };
  });
  after(async () => {
    await coord?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('authorization matrix: every user endpoint as every kind of caller', async () => {
    // a proposal to read, made by an owner
    const p = await send('POST', '/api/v1/manifest/proposals', { manifest: governedManifest(measurement, (d) => (d.workloads.web = { package: 'app' })) }, callers.alice!);
    assert.equal(p.status, 201, JSON.stringify(p.json));
    const hash = p.json.proposalHash as string;

    type Cell = number; // expected HTTP status
    const endpoints: Array<{ name: string; call: (who: Caller) => Promise<Answer>; want: Record<string, Cell> }> = [
      {
        name: 'GET proposals',
        call: (w) => send('GET', '/api/v1/manifest/proposals', undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 200, eve: 200, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'GET proposal',
        call: (w) => send('GET', `/api/v1/manifest/proposals/${hash}`, undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 200, eve: 200, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'POST proposal (manifest change)',
        call: (w) => send('POST', '/api/v1/manifest/proposals', { manifest: governedManifest(measurement, (d) => (d.workloads.other = { package: 'app' })) }, w),
        want: { alice: 201, aliceSigned: 200, dave: 403, eve: 403, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'POST approval',
        call: (w) => {
          const user = w === callers.aliceSigned ? 'alice' : Object.keys(callers).find((k) => callers[k] === w) ?? 'nobody';
          const sig = keys[user] === undefined ? '00'.repeat(64) : signApproval(user, keys[user]!, hash).signature;
          return send('POST', `/api/v1/manifest/proposals/${hash}/approvals`, { signature: sig }, w);
        },
        want: { alice: 200, aliceSigned: 200, dave: 403, eve: 403, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'GET history',
        call: (w) => send('GET', '/api/v1/manifest/history', undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 200, eve: 200, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'GET audit',
        call: (w) => send('GET', '/api/v1/audit', undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 403, eve: 403, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'PUT secret',
        call: (w) => send('PUT', '/api/v1/secrets/token', { value: Buffer.from('s3cret').toString('base64') }, w),
        want: { alice: 200, aliceSigned: 200, dave: 403, eve: 403, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'GET secret',
        call: (w) => send('GET', '/api/v1/secrets/token', undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 403, eve: 403, mallory: 401, anonymous: 401, workload: 403, revoked: 401, frank: 401 },
      },
      {
        name: 'GET volume (workload endpoint)',
        call: (w) => send('GET', '/api/v1/volumes/data', undefined, w),
        want: { alice: 401, aliceSigned: 401, dave: 401, eve: 401, mallory: 401, anonymous: 401, workload: 200, revoked: 401, frank: 401 },
      },
      {
        name: 'GET status (public)',
        call: (w) => send('GET', '/api/v1/status', undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 200, eve: 200, mallory: 200, anonymous: 200, workload: 200, revoked: 200, frank: 200 },
      },
      {
        name: 'GET manifest (public)',
        call: (w) => send('GET', '/api/v1/manifest', undefined, w),
        want: { alice: 200, aliceSigned: 200, dave: 200, eve: 200, mallory: 200, anonymous: 200, workload: 200, revoked: 200, frank: 200 },
      },
    ];
    const failures: string[] = [];
    for (const ep of endpoints) {
      for (const [who, want] of Object.entries(ep.want)) {
        const got = await ep.call(callers[who]!);
        if (got.status !== want) failures.push(`${ep.name} as ${who}: got ${got.status} ${String(got.json.code ?? '')}, want ${want}`);
      }
    }
    assert.deepEqual(failures, []);
    // the reasons are the specific ones
    assert.equal((await send('GET', '/api/v1/audit', undefined, callers.frank!)).json.code, 'AUTH_CERT_EXPIRED');
    assert.equal((await send('GET', '/api/v1/audit', undefined, callers.revoked!)).json.code, 'AUTH_CERT_REVOKED');
    assert.equal((await send('GET', '/api/v1/audit', undefined, callers.anonymous!)).json.code, 'AUTH_REQUIRED');
    assert.equal((await send('GET', '/api/v1/audit', undefined, callers.dave!)).json.code, 'GOVERNANCE_NOT_AUTHORIZED');
  });

  test('a signed request cannot be replayed, and a signature over another body is refused', async () => {
    const body = Buffer.from(JSON.stringify({ value: Buffer.from('x').toString('base64') }));
    const auth = signRequest({ method: 'PUT', path: '/api/v1/secrets/token', body }, { user: 'alice', privateKey: keys.alice!, time: new Date(), nonce: random.bytes(16) });
    const header = encodeSignedRequestHeader(auth);
    const raw = (b: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(new URL('/api/v1/secrets/token', coord.url), { method: 'PUT', headers: { 'content-type': 'application/json', 'cloister-signature': header }, ca: root, checkServerIdentity: () => undefined, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(b);
      });
    assert.equal(await raw(Buffer.from(JSON.stringify({ value: Buffer.from('y').toString('base64') }))), 401); // another body
    assert.equal(await raw(body), 200);
    assert.equal(await raw(body), 401); // replay
  });

  test('quorum: concurrent approvals apply the update once; stale and bad approvals are refused', async () => {
    const before = (await send('GET', '/api/v1/status', undefined, {})).json.manifestHash as string;
    const nextText = governedManifest(measurement, (d) => (d.workloads.batch = { package: 'app' }));
    const p = await send('POST', '/api/v1/manifest/proposals', { manifest: nextText }, callers.bob!);
    assert.ok(p.status === 201 || p.status === 200, JSON.stringify(p.json));
    const hash = p.json.proposalHash as string;
    assert.equal(p.json.needed, 2);
    // a signature over another proposal is refused and not counted
    const wrong = await send('POST', `/api/v1/manifest/proposals/${hash}/approvals`, { signature: signApproval('bob', keys.bob!, 'ab'.repeat(32)).signature }, callers.bob!);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.code, 'GOVERNANCE_APPROVAL_SIGNATURE_INVALID');
    // bob and carol approve at the same time
    const [a, b] = await Promise.all(
      ['bob', 'carol'].map((u) => send('POST', `/api/v1/manifest/proposals/${hash}/approvals`, { signature: signApproval(u, keys[u]!, hash).signature }, callers[u]!)),
    );
    assert.equal(a!.status, 200, JSON.stringify(a!.json));
    assert.equal(b!.status, 200, JSON.stringify(b!.json));
    assert.equal([a!.json.applied, b!.json.applied].filter((x) => x === true).length, 1, 'exactly one approval applied it');
    const after = (await send('GET', '/api/v1/status', undefined, {})).json.manifestHash as string;
    assert.equal(after, manifestHash(parseManifest(nextText)));
    assert.notEqual(after, before);
    // the earlier proposal of the matrix test is stale now
    const list = (await send('GET', '/api/v1/manifest/proposals', undefined, callers.eve!)).json.proposals as Array<{ proposalHash: string; status: string }>;
    assert.ok(list.some((x) => x.status === 'stale'));
    assert.equal(list.find((x) => x.proposalHash === hash)?.status, 'applied');
    const stale = list.find((x) => x.status === 'stale')!;
    const late = await send('POST', `/api/v1/manifest/proposals/${stale.proposalHash}/approvals`, { signature: signApproval('carol', keys.carol!, stale.proposalHash).signature }, callers.carol!);
    assert.equal(late.json.code, 'PROPOSAL_NOT_OPEN');
    // history has both manifests, with who approved the update
    const hist = (await send('GET', '/api/v1/manifest/history', undefined, callers.alice!)).json.history as Array<{ manifestHash: string; approvedBy: string[] }>;
    assert.equal(hist.at(-1)!.manifestHash, after);
    assert.deepEqual(hist.at(-1)!.approvedBy, ['bob', 'carol']);
    // the CA rolled: the attested root is the same, the intermediate is new
    const att = await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random });
    assert.equal(att.rootCaPem, root);
    assert.notEqual(att.intermediateCaPem, workloadAct.chainPem[0]);
  });

  test('two competing proposals reach their quorum at the same time: exactly one applies, the other is refused', async () => {
    const texts = ['x1', 'x2'].map((w) => governedManifest(measurement, (d) => (d.workloads[w] = { package: 'app' })));
    const hashes: string[] = [];
    for (const t of texts) {
      const p = await send('POST', '/api/v1/manifest/proposals', { manifest: t }, callers.alice!);
      assert.equal(p.status, 201, JSON.stringify(p.json));
      hashes.push(p.json.proposalHash as string);
      // alice's approval on each: one more approval reaches the quorum of 2
      const a = await send('POST', `/api/v1/manifest/proposals/${p.json.proposalHash as string}/approvals`, { signature: signApproval('alice', keys.alice!, p.json.proposalHash as string).signature }, callers.alice!);
      assert.equal(a.json.applied, false);
    }
    const results = await Promise.all(
      hashes.map((h, i) => {
        const u = i === 0 ? 'bob' : 'carol';
        return send('POST', `/api/v1/manifest/proposals/${h}/approvals`, { signature: signApproval(u, keys[u]!, h).signature }, callers[u]!);
      }),
    );
    const applied = results.filter((r) => r.status === 200 && r.json.applied === true);
    assert.equal(applied.length, 1, JSON.stringify(results.map((r) => [r.status, r.json.code ?? r.json.applied])));
    const loser = results.find((r) => r !== applied[0])!;
    assert.ok(loser.json.applied === false || loser.json.code === 'PROPOSAL_NOT_OPEN', JSON.stringify(loser.json));
    const winner = hashes[results.indexOf(applied[0]!)]!;
    const list = (await send('GET', '/api/v1/manifest/proposals', undefined, callers.alice!)).json.proposals as Array<{ proposalHash: string; status: string }>;
    assert.equal(list.find((x) => x.proposalHash === winner)?.status, 'applied');
    assert.equal(list.find((x) => x.proposalHash === hashes.find((h) => h !== winner))?.status, 'stale');
  });

  test('a secops user (package.update only) may not propose a change that is more than a security-version raise', async () => {
    const cur = (await send('GET', '/api/v1/manifest', undefined, {})).json.manifest as string;
    const doc = JSON.parse(cur) as Record<string, any>;
    // simulated packages have no security version: make the package change one the secops role may approve
    doc.packages.app = { simulated: { measurements: [measurement, '11'.repeat(48)] } };
    const p = await send('POST', '/api/v1/manifest/proposals', { manifest: JSON.stringify(doc) }, callers.dave!);
    assert.equal(p.status, 403, 'adding a measurement is a manifest update, not a package raise');
    assert.equal(p.json.code, 'GOVERNANCE_NOT_AUTHORIZED');
  });

  test('a user secret set through the API reaches the workload on its next activation', async () => {
    const set = await send('PUT', '/api/v1/secrets/token', { value: Buffer.from('hello-workload').toString('base64') }, callers.alice!);
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const tooBig = await send('PUT', '/api/v1/secrets/token', { value: Buffer.alloc(65).toString('base64') }, callers.alice!);
    assert.equal(tooBig.json.code, 'REQUEST_INVALID');
    const notUser = await send('PUT', '/api/v1/secrets/shared', { value: Buffer.from('x').toString('base64') }, callers.alice!);
    assert.equal(notUser.status, 403); // alice has secret.write on token only
    const a = await activate({ coordinatorUrl: coord.url, rootCaPem: root, workload: 'api', provider: simulatedProvider({ platform, measurement }), now: new Date() });
    assert.equal(new TextDecoder().decode(a.files.get('/etc/token')), 'hello-workload');
    const got = await send('GET', '/api/v1/secrets/token', undefined, callers.alice!);
    assert.equal(Buffer.from(got.json.value as string, 'base64').toString(), 'hello-workload');
  });

  test('the audit log records every change, verifies under the root key, and its head is attested', async () => {
    const att = await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random });
    const log = await send('GET', '/api/v1/audit?from=1&limit=10000', undefined, callers.alice!);
    const entries = log.json.entries as Parameters<typeof verifyAuditLog>[0];
    const rootKey = new X509Certificate(root).publicKey;
    verifyAuditLog(entries, { publicKey: rootKey });
    const kinds = new Set(entries.map((e) => e.kind));
    for (const k of ['manifest.set', 'workload.activated', 'workload.deactivated', 'manifest.proposed', 'manifest.approved', 'manifest.applied', 'secret.set']) assert.ok(kinds.has(k), k);
    const attested = entries.find((e) => e.seq === att.auditHead.seq);
    assert.equal(attested?.hash, att.auditHead.hash);
    assert.equal(JSON.stringify(entries).includes('hello-workload'), false, 'secret values never enter the log');
  });

  test('a restart between the last approval and the apply finishes the update', async () => {
    const nextText = governedManifest(measurement, (d) => {
      d.workloads.batch = { package: 'app' };
      d.workloads.late = { package: 'app' };
    });
    const p = await send('POST', '/api/v1/manifest/proposals', { manifest: nextText }, callers.alice!);
    const hash = p.json.proposalHash as string;
    await send('POST', `/api/v1/manifest/proposals/${hash}/approvals`, { signature: signApproval('alice', keys.alice!, hash).signature }, callers.alice!);
    // simulate "quorum reached, crashed before apply": store bob's approval directly is not possible
    // from outside, so stop the coordinator after the first approval, then approve after restart
    await coord.close();
    coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir: join(dir, 'platform'), port: 0, log: quiet });
    const st = await send('GET', `/api/v1/manifest/proposals/${hash}`, undefined, callers.alice!);
    assert.deepEqual(st.json.approvedBy, ['alice'], 'approvals survive the restart');
    const b = await send('POST', `/api/v1/manifest/proposals/${hash}/approvals`, { signature: signApproval('bob', keys.bob!, hash).signature }, callers.bob!);
    assert.equal(b.json.applied, true, JSON.stringify(b.json));
    assert.equal((await send('GET', '/api/v1/status', undefined, {})).json.manifestHash, manifestHash(parseManifest(nextText)));
  });
});
