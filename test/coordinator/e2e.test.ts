import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../src/coordinator/index.js';
import { activate, attestCoordinator, createInstanceKey, request, ClientError } from '../../src/runtime/index.js';
import { loadOrCreatePlatform, measurePath, simulatedProvider, type SimulatedPlatform } from '../../src/tee/index.js';
import { activationReportData } from '../../src/verify/index.js';

/**
 * The coordinator end to end over real HTTPS on 127.0.0.1: the real server, the real client
 * library, simulated evidence from a real platform key over a real measurement.
 */
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const quiet = pino({ level: 'silent' });

let dir: string;
let platform: SimulatedPlatform;
let measurement: string;
let coord: RunningCoordinator;
let root: string;

function manifestText(m: string): string {
  return JSON.stringify({
    packages: { app: { simulated: { measurements: [m] } }, other: { simulated: { measurements: ['00'.repeat(48)] } } },
    workloads: {
      api: {
        package: 'app',
        epcSize: '64Mi',
        certificate: { sans: { dns: ['api.local'] } },
        files: { '/etc/api/key.hex': '{{ secrets.dataKey.hex }}', '/etc/api/tls.pem': '{{ self.cert }}{{ self.key }}' },
        env: { INSTANCE: '{{ instance.id }}' },
        argv: ['--name', '{{ workload.name }}'],
      },
      single: { package: 'app', maxActivations: 1 },
      wrongpkg: { package: 'other' },
    },
    secrets: { dataKey: { type: 'symmetric-key', size: 256 } },
  });
}

/** A request whose refusals come back as values (the client library throws them as ClientError). */
async function call(method: 'GET' | 'POST', url: string, path: string, body: unknown, ca: string): Promise<{ status: number; json: unknown; simulation: boolean }> {
  try {
    const r = await request(method, new URL(path, url), body, { ca, timeoutMs: 10_000 });
    return { status: r.status, json: r.json, simulation: r.simulation };
  } catch (e) {
    if (e instanceof ClientError && e.code === 'COORDINATOR_REJECTED') {
      const d = e.detail as { status: number; code?: string; simulation?: boolean };
      return { status: d.status, json: { code: d.code }, simulation: d.simulation === true };
    }
    throw e;
  }
}
async function rawActivate(body: Record<string, unknown>) {
  return call('POST', coord.url, '/api/v1/activate', body, root);
}
async function freshNonce(): Promise<string> {
  const r = await request('POST', new URL('/api/v1/nonce', coord.url), {}, { ca: root, timeoutMs: 10_000 });
  return (r.json as { nonce: string }).nonce;
}
async function simulatedBody(workload: string, o: { nonce?: string; bindTo?: Uint8Array; measurement?: string } = {}) {
  const nonce = o.nonce ?? (await freshNonce());
  const key = await createInstanceKey(workload);
  const reportData = activationReportData(o.bindTo ?? key.spki, Buffer.from(nonce, 'hex'));
  const ev = await simulatedProvider({ platform, measurement: o.measurement ?? measurement }).getEvidence(reportData);
  return { workload, nonce, evidence: { tee: 'simulated', data: Buffer.from(ev.evidence).toString('base64') }, csr: key.csrPem };
}
function codeOf(r: { json: unknown }): string {
  return (r.json as { code: string }).code;
}

describe('coordinator over HTTPS (simulation mode)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-e2e-'));
    platform = await loadOrCreatePlatform(join(dir, 'platform'));
    await writeFile(join(dir, 'program.js'), 'console.log("hello")\n');
    measurement = await measurePath(join(dir, 'program.js'));
    coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir: join(dir, 'platform'), port: 0, log: quiet });
    const att = await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random });
    assert.equal(att.manifestHash, null);
    root = att.rootCaPem;
    const set = await request('POST', new URL('/api/v1/manifest', coord.url), { manifest: manifestText(measurement) }, { ca: root, timeoutMs: 10_000 });
    assert.equal(set.status, 200, JSON.stringify(set.json));
  });
  after(async () => {
    await coord?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('status and responses say simulation; a second manifest set is refused', async () => {
    const s = await request('GET', new URL('/api/v1/status', coord.url), undefined, { ca: root, timeoutMs: 5000 });
    assert.equal((s.json as { state: string }).state, 'accepting-workloads');
    assert.equal((s.json as { simulation: boolean }).simulation, true);
    assert.equal(s.simulation, true);
    const again = await call('POST', coord.url, '/api/v1/manifest', { manifest: manifestText(measurement) }, root);
    assert.equal(again.status, 409);
    assert.equal(codeOf(again), 'MANIFEST_ALREADY_SET');
  });

  test('an attested workload activates and receives certificate, files, env and argv', async () => {
    const att = await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random });
    const a = await activate({
      coordinatorUrl: coord.url, rootCaPem: att.rootCaPem, workload: 'api', provider: simulatedProvider({ platform, measurement }),
      manifestHash: att.manifestHash!, now: new Date(),
    });
    assert.equal(a.workload, 'api');
    assert.match(a.instanceId, /^api-\d+$/);
    assert.equal(a.env.INSTANCE, a.instanceId);
    assert.deepEqual(a.argv, ['--name', 'api']);
    assert.match(new TextDecoder().decode(a.files.get('/etc/api/key.hex')), /^[0-9a-f]{64}$/);
    const tls = new TextDecoder().decode(a.files.get('/etc/api/tls.pem'));
    assert.ok(tls.includes(a.keyPem.trim()), 'self.key is filled in by the client, never sent by the coordinator');
    const leaf = new X509Certificate(a.certificatePem);
    const inter = new X509Certificate(a.chainPem[0]!);
    const rootCert = new X509Certificate(att.rootCaPem);
    assert.ok(leaf.verify(inter.publicKey) && inter.verify(rootCert.publicKey));
    assert.ok(leaf.subjectAltName?.includes('DNS:api.local'));
    assert.ok(leaf.subjectAltName?.includes(`URI:cloister://workload/api/${a.instanceId}`));
    const hoursValid = (Date.parse(leaf.validTo) - Date.now()) / 3600_000;
    assert.ok(hoursValid > 23 && hoursValid <= 24.1, `leaf lives ~24 h, got ${hoursValid}`);
  });

  test('re-activation with the same instance id renews and revokes the old certificate', async () => {
    const first = await rawActivate({ ...(await simulatedBody('api')), instanceId: 'api-fixed' });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const second = await rawActivate({ ...(await simulatedBody('api')), instanceId: 'api-fixed' });
    assert.equal(second.status, 200);
    const oldSerial = new X509Certificate((first.json as { certificate: string }).certificate).serialNumber.toLowerCase();
    const crl = await import('node:https').then(
      (https) =>
        new Promise<Buffer>((resolve, reject) => {
          https.get(new URL('/api/v1/crl', coord.url), { ca: root, checkServerIdentity: () => undefined }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks)));
          }).on('error', reject);
        }),
    );
    assert.ok(crl.toString('hex').includes(oldSerial.replace(/^0+/, '')), 'old serial is on the CRL');
  });

  test('wrong measurement, replayed nonce, wrong key binding, unknown workload and max activations are refused', async () => {
    const wrongMeasurement = await rawActivate(await simulatedBody('api', { measurement: 'ab'.repeat(48) }));
    assert.equal(wrongMeasurement.status, 403);
    assert.equal(codeOf(wrongMeasurement), 'MEASUREMENT_MISMATCH');

    const wrongPackage = await rawActivate(await simulatedBody('wrongpkg'));
    assert.equal(codeOf(wrongPackage), 'MEASUREMENT_MISMATCH');

    const body = await simulatedBody('api');
    assert.equal((await rawActivate(body)).status, 200);
    const replay = await rawActivate(body);
    assert.equal(replay.status, 403);
    assert.equal(codeOf(replay), 'NONCE_INVALID');

    const otherKey = await createInstanceKey('x');
    const swapped = await rawActivate(await simulatedBody('api', { bindTo: otherKey.spki }));
    assert.equal(swapped.status, 403);
    assert.equal(codeOf(swapped), 'REPORT_DATA_MISMATCH');

    const stale = await rawActivate(await simulatedBody('api', { nonce: '00'.repeat(32) }));
    assert.equal(codeOf(stale), 'NONCE_INVALID');

    const unknown = await rawActivate(await simulatedBody('nope'));
    assert.equal(unknown.status, 404);
    assert.equal(codeOf(unknown), 'WORKLOAD_UNKNOWN');
    for (const name of ['constructor', '__proto__', 'toString']) {
      const proto = await rawActivate(await simulatedBody(name));
      assert.equal(codeOf(proto), 'WORKLOAD_UNKNOWN', name);
    }

    assert.equal((await rawActivate(await simulatedBody('single'))).status, 200);
    const over = await rawActivate(await simulatedBody('single'));
    assert.equal(over.status, 409);
    assert.equal(codeOf(over), 'MAX_ACTIVATIONS_REACHED');

    const malformed = await rawActivate({ workload: 'api' });
    assert.equal(malformed.status, 400);
    assert.equal(codeOf(malformed), 'REQUEST_INVALID');
  });

  test('evidence from an untrusted simulated platform is refused', async () => {
    const stranger = await loadOrCreatePlatform(join(dir, 'stranger'));
    const nonce = await freshNonce();
    const key = await createInstanceKey('api');
    const ev = await simulatedProvider({ platform: stranger, measurement }).getEvidence(activationReportData(key.spki, Buffer.from(nonce, 'hex')));
    const r = await rawActivate({ workload: 'api', nonce, evidence: { tee: 'simulated', data: Buffer.from(ev.evidence).toString('base64') }, csr: key.csrPem });
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'SIM_PLATFORM_UNTRUSTED');
  });

  test('a client expecting another manifest hash refuses the coordinator', async () => {
    await assert.rejects(
      attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), expectedManifestHash: 'ab'.repeat(32), now: new Date(), random }),
      (e: unknown) => e instanceof ClientError && e.code === 'MANIFEST_HASH_MISMATCH',
    );
    await assert.rejects(
      attestCoordinator(coord.url, { simulation: false, platformDir: join(dir, 'platform'), now: new Date(), random }),
      (e: unknown) => e instanceof ClientError && e.code === 'SIMULATED_COORDINATOR_NOT_ALLOWED',
    );
  });

  test('metrics count activations by result', async () => {
    const r = await import('node:https').then(
      (https) =>
        new Promise<string>((resolve, reject) => {
          https.get(new URL('/metrics', coord.url), { ca: root, checkServerIdentity: () => undefined }, (res) => {
            let s = '';
            res.on('data', (c: Buffer) => (s += c.toString()));
            res.on('end', () => resolve(s));
          }).on('error', reject);
        }),
    );
    const lines = r.split('\n').filter((l) => /^cloister_(activations_total|simulation_mode|workload_epc_request_bytes|active_instances)/.test(l));
    // 'api' has an epcSize but a simulated package: EPC is reported for SGX packages only
    assert.ok(!lines.some((l) => l.startsWith('cloister_workload_epc_request_bytes')), lines.join('\n'));
    assert.ok(lines.some((l) => /^cloister_active_instances\{workload="api"\} [1-9]/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^cloister_activations_total\{workload="api",result="ok"\} [1-9]/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^cloister_activations_total\{workload="api",result="NONCE_INVALID"\} [1-9]/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('cloister_simulation_mode 1'), lines.join('\n'));
  });
});

describe('coordinator without simulation mode', () => {
  test('refuses simulated evidence with SIMULATION_NOT_ALLOWED', async () => {
    const d = await mkdtemp(join(tmpdir(), 'cloister-e2e-hw-'));
    try {
      const p = await loadOrCreatePlatform(join(d, 'platform'));
      await writeFile(join(d, 'program.js'), 'x');
      const m = await measurePath(join(d, 'program.js'));
      // the coordinator's own evidence comes from a (simulated) provider injected for the test;
      // what matters is that it does not run in simulation mode
      const c = await startCoordinator({ simulation: false, stateDir: join(d, 'state'), port: 0, log: quiet, evidenceProvider: simulatedProvider({ platform: p, measurement: m }) });
      try {
        const att = await attestCoordinator(c.url, { simulation: true, platformDir: join(d, 'platform'), now: new Date(), random });
        const set = await request('POST', new URL('/api/v1/manifest', c.url), { manifest: manifestText(m) }, { ca: att.rootCaPem, timeoutMs: 5000 });
        assert.equal(set.status, 200);
        const nonce = (await request('POST', new URL('/api/v1/nonce', c.url), {}, { ca: att.rootCaPem, timeoutMs: 5000 })).json as { nonce: string };
        const key = await createInstanceKey('api');
        const ev = await simulatedProvider({ platform: p, measurement: m }).getEvidence(activationReportData(key.spki, Buffer.from(nonce.nonce, 'hex')));
        const r = await call('POST', c.url, '/api/v1/activate', {
          workload: 'api', nonce: nonce.nonce, evidence: { tee: 'simulated', data: Buffer.from(ev.evidence).toString('base64') }, csr: key.csrPem,
        }, att.rootCaPem);
        assert.equal(r.status, 403);
        assert.equal(codeOf(r), 'SIMULATION_NOT_ALLOWED');
        assert.equal(r.simulation, false);
      } finally {
        await c.close();
      }
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('coordinator restart', () => {
  test('state survives a restart; an unopenable sealed state enters recovery without touching it', async () => {
    const d = await mkdtemp(join(tmpdir(), 'cloister-e2e-restart-'));
    try {
      const platformDir = join(d, 'platform');
      const p = await loadOrCreatePlatform(platformDir);
      await writeFile(join(d, 'program.js'), 'y');
      const m = await measurePath(join(d, 'program.js'));
      const opts = { simulation: true, stateDir: join(d, 'state'), platformDir, port: 0, log: quiet } as const;
      const first = await startCoordinator(opts);
      const att1 = await attestCoordinator(first.url, { simulation: true, platformDir, now: new Date(), random });
      await call('POST', first.url, '/api/v1/manifest', { manifest: manifestText(m) }, att1.rootCaPem);
      const a = await activate({ coordinatorUrl: first.url, rootCaPem: att1.rootCaPem, workload: 'single', instanceId: 'single-0', provider: simulatedProvider({ platform: p, measurement: m }), now: new Date() });
      await first.close();

      const second = await startCoordinator(opts);
      try {
        const att2 = await attestCoordinator(second.url, { simulation: true, platformDir, now: new Date(), random });
        assert.equal(att2.rootCaPem, att1.rootCaPem, 'same root CA after restart');
        assert.equal(att2.manifestHash, att1.manifestHash ?? att2.manifestHash);
        assert.notEqual(att2.manifestHash, null);
        // the activation count survived: maxActivations 1 is still used up, renewal still works
        const renew = await activate({ coordinatorUrl: second.url, rootCaPem: att2.rootCaPem, workload: 'single', instanceId: a.instanceId, provider: simulatedProvider({ platform: p, measurement: m }), now: new Date() });
        assert.equal(renew.instanceId, 'single-0');
        await assert.rejects(
          activate({ coordinatorUrl: second.url, rootCaPem: att2.rootCaPem, workload: 'single', provider: simulatedProvider({ platform: p, measurement: m }), now: new Date() }),
          (e: unknown) => e instanceof ClientError && (e.detail as { code?: string }).code === 'MAX_ACTIVATIONS_REACHED',
        );
      } finally {
        await second.close();
      }

      // a new host: the sealing secret is gone, so the data key cannot be unsealed
      await rm(join(platformDir, 'sealing-secret'));
      const third = await startCoordinator(opts);
      try {
        assert.equal(third.state(), 'recovery');
        const { request: rawRequest } = await import('../../src/runtime/index.js');
        const s = await rawRequest('GET', new URL('/api/v1/status', third.url), undefined, { timeoutMs: 5000 });
        assert.equal((s.json as { state: string }).state, 'recovery');
        await assert.rejects(
          rawRequest('POST', new URL('/api/v1/nonce', third.url), {}, { timeoutMs: 5000 }),
          (e: unknown) => e instanceof ClientError && (e.detail as { status: number; code?: string }).status === 503 && (e.detail as { code?: string }).code === 'COORDINATOR_IN_RECOVERY',
        );
      } finally {
        await third.close();
      }
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('coordinator HTTP edge cases', () => {
  test('malformed JSON, oversized bodies, unknown routes and bad nonces get problem details', async () => {
    const d = await mkdtemp(join(tmpdir(), 'cloister-e2e-edge-'));
    const c = await startCoordinator({ simulation: true, stateDir: join(d, 'state'), platformDir: join(d, 'platform'), port: 0, log: quiet });
    try {
      const https = await import('node:https');
      const send = (method: string, path: string, body: string | Buffer | undefined, type = 'application/json') =>
        new Promise<{ status: number; json: { code?: string; simulation?: boolean; type?: string } }>((resolve, reject) => {
          const req = https.request(new URL(path, c.url), { method, rejectUnauthorized: false, headers: body === undefined ? {} : { 'content-type': type } }, (res) => {
            let s = '';
            res.on('data', (x: Buffer) => (s += x.toString()));
            res.on('end', () => {
              assert.match(String(res.headers['content-type']), /json/);
              resolve({ status: res.statusCode ?? 0, json: JSON.parse(s) as { code?: string } });
            });
          });
          req.on('error', reject);
          req.end(body);
        });
      const bad = await send('POST', '/api/v1/manifest', '{"manifest":');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, 'REQUEST_INVALID');
      assert.equal(bad.json.simulation, true);
      const big = await send('POST', '/api/v1/manifest', Buffer.alloc(2 * 1024 * 1024, 0x61));
      assert.equal(big.status, 413);
      assert.equal(big.json.code, 'REQUEST_TOO_LARGE');
      const nf = await send('GET', '/api/v1/nope', undefined);
      assert.equal(nf.status, 404);
      assert.equal(nf.json.code, 'NOT_FOUND');
      const nonce = await send('GET', '/api/v1/attestation?nonce=zz', undefined);
      assert.equal(nonce.status, 400);
      assert.equal(nonce.json.code, 'REQUEST_INVALID');
      const notYet = await send('GET', '/api/v1/manifest', undefined);
      assert.equal(notYet.status, 409);
      assert.equal(notYet.json.code, 'COORDINATOR_UNINITIALIZED');
      const invalidManifest = await send('POST', '/api/v1/manifest', JSON.stringify({ manifest: 'packages: {}\nworkloads: {x: {package: nope}}' }));
      assert.equal(invalidManifest.status, 400);
      assert.equal(invalidManifest.json.code, 'MANIFEST_INVALID');
      assert.equal((await send('GET', '/api/v1/status', undefined)).json.code, undefined);
    } finally {
      await c.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('protected volumes with the coordinator as version authority', () => {
  test('versions advance monotonically; a restored old copy is detected; only declared volumes of the own workload', async () => {
    const d = await mkdtemp(join(tmpdir(), 'cloister-e2e-vol-'));
    const { openProtectedVolume } = await import('../../src/protect/index.js');
    const { coordinatorVersionAuthority } = await import('../../src/runtime/index.js');
    const { cp } = await import('node:fs/promises');
    const platformDir = join(d, 'platform');
    const p = await loadOrCreatePlatform(platformDir);
    await writeFile(join(d, 'program.js'), 'v');
    const m = await measurePath(join(d, 'program.js'));
    const c = await startCoordinator({ simulation: true, stateDir: join(d, 'state'), platformDir, port: 0, log: quiet });
    try {
      const att = await attestCoordinator(c.url, { simulation: true, platformDir, now: new Date(), random });
      const manifest = JSON.stringify({
        packages: { app: { simulated: { measurements: [m] } } },
        workloads: { db: { package: 'app', protectedVolumes: ['data'] }, other: { package: 'app' } },
      });
      await call('POST', c.url, '/api/v1/manifest', { manifest }, att.rootCaPem);
      const act = async (workload: string) =>
        activate({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, workload, provider: simulatedProvider({ platform: p, measurement: m }), now: new Date() });
      const db = await act('db');
      const authority = (a: typeof db) =>
        coordinatorVersionAuthority({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, credentials: { certificatePem: [a.certificatePem, ...a.chainPem].join(''), keyPem: a.keyPem } });
      const key = new Uint8Array(randomBytes(32));
      const dir = join(d, 'volume');
      const v1 = await openProtectedVolume({ dir, key, volumeId: 'data', versions: authority(db) });
      await v1.writeFile('k', 'one');
      await v1.commit();
      await cp(dir, join(d, 'backup'), { recursive: true });
      await v1.writeFile('k', 'two');
      assert.equal((await v1.commit()).version, 2);
      assert.deepEqual(await authority(db).get('data'), { version: 2, hash: v1.state().hash });

      // the operator restores the old copy: the workload refuses to open it
      await rm(dir, { recursive: true, force: true });
      await cp(join(d, 'backup'), dir, { recursive: true });
      await assert.rejects(openProtectedVolume({ dir, key, volumeId: 'data', versions: authority(db) }), (e: unknown) => (e as { code?: string }).code === 'VOLUME_ROLLBACK_DETECTED');

      // a stale writer cannot move the version backwards or sideways
      await assert.rejects(authority(db).advance('data', 1, { version: 2, hash: 'ab'.repeat(32) }), (e: unknown) => (e as { code?: string }).code === 'VOLUME_AUTHORITY_CONFLICT');
      // another workload may not touch the volume; undeclared volumes are refused; no certificate, no access
      const other = await act('other');
      await assert.rejects(authority(other).get('data'), (e: unknown) => (e as { detail?: { code?: string } }).detail?.code === 'VOLUME_UNKNOWN');
      await assert.rejects(authority(db).get('nope'), (e: unknown) => (e as { detail?: { code?: string } }).detail?.code === 'VOLUME_UNKNOWN');
      const anon = await call('GET', c.url, '/api/v1/volumes/data', undefined, att.rootCaPem);
      assert.equal(anon.status, 401);
      assert.equal(codeOf(anon), 'INSTANCE_NOT_AUTHENTICATED');
      // after renewal the old certificate no longer authenticates
      const renewed = await activate({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, workload: 'db', instanceId: db.instanceId, provider: simulatedProvider({ platform: p, measurement: m }), now: new Date() });
      await assert.rejects(authority(db).get('data'), (e: unknown) => (e as { detail?: { code?: string } }).detail?.code === 'INSTANCE_NOT_AUTHENTICATED');
      assert.equal((await authority(renewed).get('data'))?.version, 2);
      // a long-running workload passes a function that returns its current (renewed) credentials
      let current = db;
      const live = coordinatorVersionAuthority({
        coordinatorUrl: c.url, rootCaPem: att.rootCaPem,
        credentials: () => ({ certificatePem: [current.certificatePem, ...current.chainPem].join(''), keyPem: current.keyPem }),
      });
      current = renewed;
      assert.equal((await live.get('data'))?.version, 2);
    } finally {
      await c.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('coordinator with hardware (DCAP) evidence from a generated Intel-shaped PKI', () => {
  test('a bound SGX quote activates; a debug enclave and an unbound quote are refused', async () => {
    const { buildFakeDcap, FAKE_NOW } = await import('../support/fake_intel_pki.js');
    const d = await mkdtemp(join(tmpdir(), 'cloister-e2e-dcap-'));
    const p = await loadOrCreatePlatform(join(d, 'platform'));
    const base = buildFakeDcap();
    // the coordinator's clock sits inside the generated PKI's validity; its TLS certificate is
    // therefore not valid today, so this test talks to it without TLS verification
    const c = await startCoordinator({
      simulation: false, stateDir: join(d, 'state'), port: 0, log: quiet, clock: { now: () => FAKE_NOW },
      evidenceProvider: simulatedProvider({ platform: p, measurement: '00'.repeat(48) }),
      trustRoots: [base.root], dcapCollateral: async () => base.bundle,
    });
    try {
      const https = await import('node:https');
      const post = (path: string, body: unknown) =>
        new Promise<{ status: number; json: { code?: string; nonce?: string; certificate?: string } }>((resolve, reject) => {
          const req = https.request(new URL(path, c.url), { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
            let s = '';
            res.on('data', (x: Buffer) => (s += x.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(s) as { code?: string } }));
          });
          req.on('error', reject);
          req.end(JSON.stringify(body));
        });
      const manifest = JSON.stringify({ packages: { enclave: { sgx: { mrenclave: ['aa'.repeat(32)] } } }, workloads: { enclave: { package: 'enclave', epcSize: '128Mi' } } });
      assert.equal((await post('/api/v1/manifest', { manifest })).status, 200);
      const metrics = await new Promise<string>((resolve, reject) => {
        https.get(new URL('/metrics', c.url), { rejectUnauthorized: false }, (res) => {
          let t = '';
          res.on('data', (x: Buffer) => (t += x.toString()));
          res.on('end', () => resolve(t));
        }).on('error', reject);
      });
      assert.ok(metrics.split('\n').includes('cloister_workload_epc_request_bytes{workload="enclave"} 134217728'), 'EPC of the SGX workload is exported');
      const attempt = async (o: { debug?: boolean; bind?: boolean }) => {
        const nonce = (await post('/api/v1/nonce', {})).json.nonce!;
        const key = await createInstanceKey('enclave');
        const reportData = o.bind === false ? new Uint8Array(64).fill(9) : activationReportData(key.spki, Buffer.from(nonce, 'hex'));
        const q = buildFakeDcap({ reportData, debug: o.debug ?? false });
        return post('/api/v1/activate', { workload: 'enclave', nonce, evidence: { tee: 'sgx', data: Buffer.from(q.quoteBytes).toString('base64') }, csr: key.csrPem });
      };
      const ok = await attempt({});
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      assert.match(ok.json.certificate ?? '', /BEGIN CERTIFICATE/);
      const debug = await attempt({ debug: true });
      assert.equal(debug.status, 403);
      assert.equal(debug.json.code, 'DEBUG_NOT_ALLOWED');
      const unbound = await attempt({ bind: false });
      assert.equal(unbound.status, 403);
      assert.equal(unbound.json.code, 'REPORT_DATA_MISMATCH');
      const simulated = await post('/api/v1/activate', { workload: 'enclave', nonce: (await post('/api/v1/nonce', {})).json.nonce, evidence: { tee: 'tdx', data: Buffer.from(base.quoteBytes).toString('base64') }, csr: (await createInstanceKey('x')).csrPem });
      assert.equal(simulated.json.code, 'TEE_MISMATCH');
    } finally {
      await c.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('deactivation', () => {
  test('the instance deactivates itself over mTLS; its serial appears on the CRL; others cannot deactivate it', async () => {
    const d = await mkdtemp(join(tmpdir(), 'cloister-e2e-deact-'));
    const platformDir = join(d, 'platform');
    const p = await loadOrCreatePlatform(platformDir);
    await writeFile(join(d, 'program.js'), 'd');
    const m = await measurePath(join(d, 'program.js'));
    const c = await startCoordinator({ simulation: true, stateDir: join(d, 'state'), platformDir, port: 0, log: quiet });
    try {
      const att = await attestCoordinator(c.url, { simulation: true, platformDir, now: new Date(), random });
      await call('POST', c.url, '/api/v1/manifest', { manifest: manifestText(m) }, att.rootCaPem);
      const act = () => activate({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, workload: 'api', provider: simulatedProvider({ platform: p, measurement: m }), now: new Date() });
      const a = await act();
      const b = await act();
      const { deactivate } = await import('../../src/runtime/index.js');
      const crlHex = async () =>
        new Promise<string>((resolve, reject) => {
          import('node:https').then((https) =>
            https.get(new URL('/api/v1/crl', c.url), { ca: att.rootCaPem, checkServerIdentity: () => undefined }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (x: Buffer) => chunks.push(x));
              res.on('end', () => resolve(Buffer.concat(chunks).toString('hex')));
            }).on('error', reject),
          );
        });
      const serial = new X509Certificate(a.certificatePem).serialNumber.toLowerCase().replace(/^0+/, '');
      assert.ok(!(await crlHex()).includes(serial));
      // b's certificate cannot deactivate a
      await assert.rejects(
        deactivate({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, workload: 'api', instanceId: a.instanceId, keyPem: b.keyPem, certificatePem: b.certificatePem, chainPem: b.chainPem }),
        (e: unknown) => (e as { detail?: { code?: string } }).detail?.code === 'INSTANCE_NOT_AUTHENTICATED',
      );
      await deactivate({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, workload: 'api', instanceId: a.instanceId, keyPem: a.keyPem, certificatePem: a.certificatePem, chainPem: a.chainPem });
      assert.ok((await crlHex()).includes(serial), 'revoked serial on the CRL');
      // the revoked certificate no longer authenticates
      await assert.rejects(
        deactivate({ coordinatorUrl: c.url, rootCaPem: att.rootCaPem, workload: 'api', instanceId: a.instanceId, keyPem: a.keyPem, certificatePem: a.certificatePem, chainPem: a.chainPem }),
        (e: unknown) => (e as { detail?: { code?: string } }).detail?.code === 'INSTANCE_NOT_AUTHENTICATED',
      );
    } finally {
      await c.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});
