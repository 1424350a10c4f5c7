import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { startCoordinator, type RunningCoordinator } from '../../src/coordinator/index.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { tempDir } from '../runtime/support/fake_coordinator.js';
import { jsonOf, runCli } from '../support/cli_run.js';

/**
 * The governance commands end to end: the real `cloister` command line (in-process) against the
 * real coordinator in simulation mode over HTTPS on 127.0.0.1, with a temp state dir and
 * simulated platform. Users authenticate by mTLS with certificates the CLI makes on the fly
 * (declared by publicKey) or by signed requests.
 */
const quiet = pino({ level: 'silent' });
const spki = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }) as string;
const users = {
  alice: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  bob: generateKeyPairSync('ed25519'),
  eve: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
};

function manifestWith(measurementByte: string): string {
  const m = parseYaml(readFileSync(new URL('../../examples/demo/manifest.yaml', import.meta.url), 'utf8')) as Record<string, unknown> & { secrets: Record<string, unknown> };
  const doc = {
    ...m,
    packages: { ...(m.packages as object), extra: { simulated: { measurements: [measurementByte.repeat(48)] } } },
    secrets: { ...m.secrets, dbPassword: { type: 'user', maxSize: 64 } },
    users: Object.fromEntries(Object.entries(users).map(([n, k]) => [n, { publicKey: spki(k.publicKey) }])),
    roles: {
      owners: {
        users: ['alice', 'bob'],
        permissions: [
          { action: 'manifest.update' }, { action: 'approve' }, { action: 'status.read' }, { action: 'audit.read' },
          { action: 'secret.write', resources: ['dbPassword'] }, { action: 'secret.read', resources: ['dbPassword'] },
        ],
      },
      auditors: { users: ['eve'], permissions: [{ action: 'audit.read' }] },
    },
    approvals: { manifestUpdate: 2, packageUpdate: 1 },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

let dir: string;
let coord: RunningCoordinator;
const keyFile: Record<string, string> = {};
const V1 = manifestWith('e1');
const V2 = manifestWith('e2');
const H1 = manifestHash(parseManifest(V1));
const H2 = manifestHash(parseManifest(V2));
const as = (user: keyof typeof users) => ['--simulation', '--key', keyFile[user]!];

before(async () => {
  dir = tempDir('gov-e2e');
  const platformDir = join(dir, 'platform');
  coord = await startCoordinator({ simulation: true, stateDir: join(dir, 'state'), platformDir, port: 0, log: quiet });
  Object.assign(process.env, { CLOISTER_COORDINATOR: coord.url, CLOISTER_SIM_PLATFORM_DIR: platformDir, CLOISTER_HOME: join(dir, 'home') });
  for (const k of ['CLOISTER_USER_KEY', 'CLOISTER_USER_CERT', 'CLOISTER_USER']) delete process.env[k];
  for (const [name, k] of Object.entries(users)) {
    keyFile[name] = join(dir, `${name}.pem`);
    writeFileSync(keyFile[name]!, k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  writeFileSync(join(dir, 'v1.json'), V1);
  writeFileSync(join(dir, 'v2.json'), V2);
  const set = await runCli('manifest', 'set', join(dir, 'v1.json'), '--simulation');
  assert.equal(set.code, 0, set.stderr);
});
after(async () => {
  await coord?.close();
  await rm(dir, { recursive: true, force: true });
});

test('propose, approve by two users (applies at the quorum), status and history', async () => {
  const p = await runCli('manifest', 'propose', join(dir, 'v2.json'), ...as('alice'), '--json');
  assert.equal(p.code, 0, p.stderr);
  const proposal = jsonOf(p) as { proposalHash: string; manifestHash: string; previousManifestHash: string; needed: number };
  assert.equal(proposal.manifestHash, H2);
  assert.equal(proposal.previousManifestHash, H1);
  assert.equal(proposal.needed, 2);

  let s = await runCli('manifest', 'status', ...as('bob'));
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, new RegExp(`${proposal.proposalHash}.*approvals 0/2`));

  const a1 = await runCli('manifest', 'approve', proposal.proposalHash, ...as('alice'), '--manifest', join(dir, 'v2.json'));
  assert.equal(a1.code, 0, a1.stderr);
  assert.match(a1.stdout, /changes\s+packages/);
  assert.match(a1.stdout, /approved 1\/2 .*waiting for 1 more/);

  // bob approves with a signed request instead of mTLS
  const a2 = await runCli('manifest', 'approve', proposal.proposalHash, ...as('bob'), '--signed-request', '--user', 'bob', '--json');
  assert.equal(a2.code, 0, a2.stderr);
  const applied = jsonOf(a2) as { applied: boolean; manifestHash: string; approvedBy: string[] };
  assert.equal(applied.applied, true);
  assert.equal(applied.manifestHash, H2);
  assert.deepEqual(applied.approvedBy, ['alice', 'bob']);

  s = await runCli('manifest', 'status', ...as('alice'), '--json');
  assert.equal(s.code, 0, s.stderr);
  const st = jsonOf(s) as { manifestHash: string; proposals: Array<{ status: string }> };
  assert.equal(st.manifestHash, H2);
  assert.equal(st.proposals.filter((x) => x.status === 'open').length, 0);

  const h = await runCli('manifest', 'history', ...as('bob'), '--json');
  assert.equal(h.code, 0, h.stderr);
  const hist = (jsonOf(h) as { history: Array<{ manifestHash: string; approvedBy: string[] }> }).history;
  assert.deepEqual(hist.map((e) => e.manifestHash), [H1, H2]);
  assert.deepEqual(hist[1]!.approvedBy, ['alice', 'bob']);
});

test('secret set and get by users allowed to; a user without the permission gets the 403 reason', async () => {
  const value = join(dir, 'db.txt');
  writeFileSync(value, 'correct horse battery staple');
  const set = await runCli('secret', 'set', 'dbPassword', '--from-file', value, ...as('alice'));
  assert.equal(set.code, 0, set.stderr);
  const out = join(dir, 'db.out');
  const get = await runCli('secret', 'get', 'dbPassword', '--out', out, ...as('bob'));
  assert.equal(get.code, 0, get.stderr);
  assert.equal(readFileSync(out, 'utf8'), 'correct horse battery staple');
  assert.equal(statSync(out).mode & 0o777, 0o600);

  const denied = await runCli('secret', 'get', 'dbPassword', '--out', join(dir, 'eve.out'), ...as('eve'));
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /403 GOVERNANCE_NOT_AUTHORIZED: \S/);
});

test('audit verify checks the whole log against the attested head; audit log prints it', async () => {
  const v = await runCli('audit', 'verify', ...as('eve'), '--json');
  assert.equal(v.code, 0, v.stderr);
  const r = jsonOf(v) as { ok: boolean; entries: number; head: { seq: number }; attestedHead: { seq: number } };
  assert.equal(r.ok, true);
  assert.ok(r.entries >= 5, `entries ${r.entries}`);
  assert.equal(r.attestedHead.seq, r.head.seq);
  const text = await runCli('audit', 'verify', ...as('eve'));
  assert.match(text.stdout, /^OK: audit log verified/);

  const log = await runCli('audit', 'log', ...as('alice'));
  assert.equal(log.code, 0, log.stderr);
  for (const kind of ['manifest.set', 'manifest.proposed', 'manifest.approved', 'manifest.applied', 'secret.set']) assert.match(log.stdout, new RegExp(kind.replace('.', '\\.')));
  const page = await runCli('audit', 'log', ...as('alice'), '--from', '2', '--limit', '2', '--json');
  assert.equal(page.code, 0, page.stderr);
  assert.deepEqual((JSON.parse(page.stdout) as { entries: Array<{ seq: number }> }).entries.map((e) => e.seq), [2, 3]);
});
