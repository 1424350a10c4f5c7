import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startCoordinator, type RunningCoordinator } from '../../../src/coordinator/index.js';
import { signApproval } from '../../../src/governance/index.js';
import { attestCoordinator, request } from '../../../src/runtime/index.js';
import { launch, resolveLaunchConfig } from '../../../src/runtime/launch/index.js';
import { selfSignedUserCertificate } from '../../../src/runtime/user_identity.js';
import { measurePath } from '../../../src/tee/index.js';
import { clock, programSource, random } from './support.js';

/**
 * "Workloads are told to re-activate": a running workload whose coordinator applies a manifest
 * update re-activates on its own (manifest watch), re-attests the coordinator (same root) and
 * gets the new manifest's files while the program keeps running.
 */
let dir: string;
let coord: RunningCoordinator;
let root: string;
const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

function manifest(measurement: string, greeting: string): string {
  return JSON.stringify({
    packages: { prog: { simulated: { measurements: [measurement] } } },
    workloads: { app: { package: 'prog', certificate: { lifetime: '1h' }, files: { [join(dir, 'files/greeting.txt')]: greeting } } },
    users: { alice: { publicKey: createPublicKey(alice).export({ type: 'spki', format: 'pem' }).toString() } },
    roles: { owners: { users: ['alice'], permissions: [{ action: 'manifest.update' }, { action: 'approve' }] } },
  });
}

describe('a running workload follows a manifest update', { timeout: 60_000 }, () => {
  let measurement: string;
  let program: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-launch-update-'));
    program = join(dir, 'prog.mjs');
    await writeFile(program, programSource());
    await chmod(program, 0o755);
    measurement = await measurePath(program);
    coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir: join(dir, 'platform'), port: 0, log: pino({ level: 'silent' }) });
    root = (await attestCoordinator(coord.url, { simulation: true, platformDir: join(dir, 'platform'), now: new Date(), random })).rootCaPem;
    await request('POST', new URL('/api/v1/manifest', coord.url), { manifest: manifest(measurement, 'hello v1') }, { ca: root, timeoutMs: 10_000 });
  });
  after(async () => {
    await coord?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the launcher re-activates after the update and rewrites the files; the program sees both versions', async () => {
    const report = join(dir, 'report.json');
    const lines: string[] = [];
    const config = resolveLaunchConfig({ coordinator: coord.url, workload: 'app', simulation: true, tee: 'simulated' }, [program], { CLOISTER_SIM_PLATFORM_DIR: join(dir, 'platform') });
    const running = launch(config, {
      clock,
      random,
      env: { PATH: process.env.PATH, REPORT_FILE: report, MODE: 'watch', WANT: '2', CERT_FILE: join(dir, 'files/greeting.txt') },
      cwd: dir,
      log: (l) => lines.push(l),
      signals: new EventEmitter(),
      timeoutMs: 10_000,
      manifestPollMs: 200,
    });
    // once the program runs with v1, apply the update (one approval suffices)
    for (let i = 0; i < 100 && !lines.some((l) => l.startsWith('starting ')); i++) await new Promise((r) => setTimeout(r, 50));
    const cert = await selfSignedUserCertificate(alice, { now: new Date(), random });
    const mtls = { ca: root, clientCert: cert, clientKey: alice.export({ type: 'pkcs8', format: 'pem' }).toString(), timeoutMs: 10_000 };
    const p = await request('POST', new URL('/api/v1/manifest/proposals', coord.url), { manifest: manifest(measurement, 'hello v2') }, mtls);
    const hash = (p.json as { proposalHash: string }).proposalHash;
    const a = await request('POST', new URL(`/api/v1/manifest/proposals/${hash}/approvals`, coord.url), { signature: signApproval('alice', alice, hash).signature }, mtls);
    assert.equal((a.json as { applied: boolean }).applied, true);

    const code = await running;
    assert.equal(code, 0, lines.join(' | '));
    const seen = (JSON.parse(await readFile(report, 'utf8')) as { certs: string[] }).certs;
    assert.deepEqual(seen, ['hello v1', 'hello v2']);
    assert.ok(lines.some((l) => l.includes("manifest changed")), lines.join(' | '));
    assert.ok(lines.some((l) => l.startsWith('coordinator re-attested')), lines.join(' | '));
  });
});
