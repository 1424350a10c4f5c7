import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../src/coordinator/index.js';
import { readRecoveryShares } from '../../src/coordinator/recovery_shares.js';
import { decryptShare, encodeShare, splitSecret } from '../../src/recovery/index.js';
import { activate, attestCoordinator, ClientError, request } from '../../src/runtime/index.js';
import { openFileStore, SEALED_DATA_KEY_FILE } from '../../src/store/index.js';
import { loadOrCreatePlatform, measurePath, simulatedProvider, type SimulatedPlatform } from '../../src/tee/index.js';

/**
 * Recovery by key holders end to end over real HTTPS (simulation mode): a coordinator whose
 * platform sealing secret is gone starts in `recovery`, holders attest it and submit their
 * decrypted shares, and at the threshold the same process serves the recovered state.
 */
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const quiet = pino({ level: process.env.RT_LOG ?? 'silent' });
const spkiPem = (k: { export(o: { type: 'spki'; format: 'pem' }): string | Buffer }) => k.export({ type: 'spki', format: 'pem' }).toString();
const holders = {
  k1: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  k2: generateKeyPairSync('x25519'),
  k3: generateKeyPairSync('x25519'),
};
const recovery = { threshold: 2, keys: { k1: spkiPem(holders.k1.publicKey), k2: spkiPem(holders.k2.publicKey), k3: spkiPem(holders.k3.publicKey) } };

function manifestText(m: string): string {
  return JSON.stringify({
    packages: { app: { simulated: { measurements: [m] } } },
    workloads: { api: { package: 'app', files: { '/etc/api/key.hex': '{{ secrets.dataKey.hex }}' } } },
    secrets: { dataKey: { type: 'symmetric-key', size: 256 } },
    recovery,
  });
}

type Reply = { status: number; json: Record<string, unknown> };
async function call(method: 'GET' | 'POST', url: string, path: string, body: unknown, ca: string): Promise<Reply> {
  try {
    const r = await request(method, new URL(path, url), body, { ca, timeoutMs: 10_000 });
    return { status: r.status, json: r.json as Record<string, unknown> };
  } catch (e) {
    if (e instanceof ClientError && e.code === 'COORDINATOR_REJECTED') {
      const d = e.detail as { status: number; code?: string };
      return { status: d.status, json: { code: d.code } };
    }
    throw e;
  }
}
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('recovery by key holders (simulation mode, real HTTPS)', () => {
  let dir: string;
  let platformDir: string;
  let platform: SimulatedPlatform;
  let measurement: string;
  let opts: Parameters<typeof startCoordinator>[0];
  const running: RunningCoordinator[] = [];
  const start = async () => {
    const c = await startCoordinator(opts);
    running.push(c);
    return c;
  };
  const attest = (url: string) => attestCoordinator(url, { simulation: true, platformDir, now: new Date(), random });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-recovery-'));
    platformDir = join(dir, 'platform');
    platform = await loadOrCreatePlatform(platformDir);
    await writeFile(join(dir, 'program.js'), 'console.log("recover")\n');
    measurement = await measurePath(join(dir, 'program.js'));
    opts = { simulation: true, stateDir: join(dir, 'state'), platformDir, port: 0, log: quiet };
  });
  after(async () => {
    for (const c of running) await c.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  test('lost sealing secret -> recovery -> shares of k1 and k2 restore manifest, instance and secrets; a restart then opens normally', async () => {
    // 1. a normal coordinator with a manifest that names three recovery keys, and one activated instance
    const first = await start();
    const att1 = await attest(first.url);
    const root = att1.rootCaPem;
    const set = await call('POST', first.url, '/api/v1/manifest', { manifest: manifestText(measurement) }, root);
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const manifestHash = set.json.manifestHash as string;
    const provider = simulatedProvider({ platform, measurement });
    const a = await activate({ coordinatorUrl: first.url, rootCaPem: root, workload: 'api', provider, now: new Date() });
    const secretHex = new TextDecoder().decode(a.files.get('/etc/api/key.hex'));
    await first.close();

    // setting a manifest with `recovery` split the data key among the three holders (public/recovery/*)
    {
      const store = await openFileStore(opts.stateDir!);
      const stored = await readRecoveryShares(store).finally(() => store.close());
      assert.deepEqual([stored?.info.threshold, stored?.info.total, Object.keys(stored?.keys ?? {}).sort()], [2, 3, ['k1', 'k2', 'k3']]);
    }

    // 2. a new host: the platform's sealing secret is gone, so the data key cannot be unsealed
    await rm(join(platformDir, 'sealing-secret'));
    const second = await start();
    assert.equal(second.state(), 'recovery');

    // holders attest the coordinator in recovery: a throwaway root, no manifest, the genesis audit head
    const attR = await attest(second.url);
    assert.equal(attR.manifestHash, null);
    assert.notEqual(attR.rootCaPem, root);
    assert.equal(attR.auditHead.seq, 0);
    const pinned = attR.rootCaPem;
    const refused = await call('GET', second.url, '/api/v1/manifest', undefined, pinned);
    assert.deepEqual([refused.status, refused.json.code], [503, 'COORDINATOR_IN_RECOVERY']);

    const info = await call('GET', second.url, '/api/v1/recovery', undefined, pinned);
    assert.equal(info.status, 200);
    assert.equal(info.json.state, 'recovery');
    assert.deepEqual([info.json.threshold, info.json.total, info.json.have], [2, 3, 0]);
    const envelopes = info.json.keys as Record<string, { fingerprint: string; envelope: string }>;
    assert.deepEqual(Object.keys(envelopes).sort(), ['k1', 'k2', 'k3']);
    const shareOf = (name: 'k1' | 'k2') => decryptShare(holders[name].privateKey, Buffer.from(envelopes[name]!.envelope, 'base64'));
    const share = (name: 'k1' | 'k2') => b64(encodeShare(shareOf(name)));

    const submit = (body: unknown) => call('POST', second.url, '/api/v1/recover', body, pinned);
    // malformed: not base64, then bytes that are not a share
    assert.deepEqual(await submit({ share: '%%%' }).then((r) => [r.status, r.json.code]), [400, 'REQUEST_INVALID']);
    assert.deepEqual(await submit({ share: b64(randomBytes(80)) }).then((r) => [r.status, r.json.code]), [400, 'RECOVERY_SHARE_MALFORMED']);
    // a share of another split (another coordinator or an older data key)
    const foreign = splitSecret(new Uint8Array(randomBytes(32)), 3, 2, random).shares[0]!;
    assert.deepEqual(await submit({ share: b64(encodeShare(foreign)) }).then((r) => [r.status, r.json.code]), [400, 'RECOVERY_SHARE_FOREIGN']);
    assert.equal(second.state(), 'recovery');

    assert.deepEqual((await submit({ share: share('k1') })).json, { status: 'collecting', have: 1, need: 2, simulation: true });
    assert.deepEqual(await submit({ share: share('k1') }).then((r) => [r.status, r.json.code]), [400, 'RECOVERY_SHARE_DUPLICATE']);
    assert.equal((await call('GET', second.url, '/api/v1/recovery', undefined, pinned)).json.have, 1);
    const done = await submit({ share: share('k2') });
    assert.deepEqual(done.json, { status: 'complete', state: 'accepting-workloads', simulation: true });

    // 3. the same process now serves the recovered state, over TLS from the real CA
    assert.equal(second.state(), 'accepting-workloads');
    assert.equal(second.rootCaPem, root, 'the original root CA is back');
    const att2 = await attest(second.url);
    assert.equal(att2.rootCaPem, root);
    assert.equal(att2.manifestHash, manifestHash);
    assert.ok(att2.auditHead.seq > 0);
    // pinned to the ORIGINAL root: a new TLS handshake presents the real CA now
    const st = await call('GET', second.url, '/api/v1/status', undefined, root);
    assert.deepEqual([st.json.state, st.json.manifestHash], ['accepting-workloads', manifestHash]);
    assert.equal(st.json.recoveryReason, undefined);
    const m = await call('GET', second.url, '/api/v1/manifest', undefined, root);
    assert.equal(m.json.manifestHash, manifestHash);
    const renewed = await activate({ coordinatorUrl: second.url, rootCaPem: root, workload: 'api', instanceId: a.instanceId, provider, now: new Date() });
    assert.equal(renewed.instanceId, a.instanceId);
    assert.equal(new TextDecoder().decode(renewed.files.get('/etc/api/key.hex')), secretHex, 'the shared secret survived');
    const again = await call('POST', second.url, '/api/v1/recover', { share: share('k1') }, root);
    assert.deepEqual([again.status, again.json.code], [409, 'RECOVERY_NOT_POSSIBLE']);
    // the data key was split again under a fresh share set: the submitted shares are spent
    const after = (await call('GET', second.url, '/api/v1/recovery', undefined, root)).json.keys as typeof envelopes;
    assert.notEqual(decryptShare(holders.k1.privateKey, Buffer.from(after.k1!.envelope, 'base64')).setId, shareOf('k1').setId);
    const files = await readdir(opts.stateDir!);
    assert.equal(files.filter((f) => f.startsWith(`${SEALED_DATA_KEY_FILE}.replaced-`)).length, 1, 'the old sealed blob is kept');
    await second.close();

    // 4. the data key is sealed under the new platform secret: a restart opens normally
    const third = await start();
    assert.equal(third.state(), 'accepting-workloads');
    const att3 = await attest(third.url);
    assert.deepEqual([att3.rootCaPem, att3.manifestHash], [root, manifestHash]);
    const pub = await call('GET', third.url, '/api/v1/recovery', undefined, root);
    assert.equal(pub.status, 200, 'holders can fetch their envelopes in normal state too');
    assert.equal(pub.json.state, 'accepting-workloads');
  });

  test('a coordinator without recovery keys: GET /api/v1/recovery is 404 RECOVERY_NOT_CONFIGURED, POST is 409', async () => {
    const d = await mkdtemp(join(tmpdir(), 'cloister-recovery-none-'));
    try {
      const c = await startCoordinator({ ...opts, stateDir: join(d, 'state') });
      running.push(c);
      const g = await call('GET', c.url, '/api/v1/recovery', undefined, c.rootCaPem!);
      assert.deepEqual([g.status, g.json.code], [404, 'RECOVERY_NOT_CONFIGURED']);
      const p = await call('POST', c.url, '/api/v1/recover', { share: b64(randomBytes(80)) }, c.rootCaPem!);
      assert.deepEqual([p.status, p.json.code], [409, 'RECOVERY_NOT_POSSIBLE']);
      await c.close();
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
