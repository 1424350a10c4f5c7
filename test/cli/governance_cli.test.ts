import assert from 'node:assert/strict';
import { KeyObject, X509Certificate, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { EMPTY_AUDIT_LOG, appendOps, auditSigner, type AuditRecord, type StoredAuditHead } from '../../src/audit/index.js';
import { approvalMessage, decodeSignedRequestHeader, proposalHashOf, verifySignedRequest, verifyUserSignature } from '../../src/governance/index.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { encodeShare, encryptShare, recoveryKeyFingerprint, splitSecret } from '../../src/recovery/index.js';
import { MODEL, keys } from '../governance/fixtures.js';
import { problem, startFakeCoordinator, tempDir, type FakeCoordinator } from '../runtime/support/fake_coordinator.js';
import { jsonOf, runCli } from '../support/cli_run.js';

/**
 * The governance commands (manifest propose/approve/status/history, audit, secret, recover)
 * against the fake coordinator of test/runtime/support (real HTTPS, simulated attestation),
 * with the governance routes answered per test as docs/governance.md describes them. The
 * fake does not check authorization; the tests check what the CLI sends and verifies.
 * End-to-end runs against the real coordinator live in governance_e2e.test.ts.
 */
const DEMO = readFileSync(new URL('../../examples/demo/manifest.yaml', import.meta.url), 'utf8');
const CURRENT = manifestHash(parseManifest(DEMO));
const NEXT_TEXT = DEMO.replace(/a1a1a1/g, 'a2a2a2');
const NEXT = manifestHash(parseManifest(NEXT_TEXT));
const PROPOSAL = proposalHashOf(CURRENT, NEXT);

let fake: FakeCoordinator;
let dir: string;
const file = (name: string, text: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const pemOf = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }) as string;
let aliceKey: string;
let bobKey: string;
let nextFile: string;

before(async () => {
  fake = await startFakeCoordinator({ manifestHash: CURRENT });
  fake.manifestText = DEMO;
  dir = tempDir('gov-cli');
  aliceKey = file('alice.pem', pemOf(keys.alice.privateKey));
  bobKey = file('bob.pem', pemOf(keys.bob.privateKey));
  nextFile = file('next.yaml', NEXT_TEXT);
  Object.assign(process.env, { CLOISTER_COORDINATOR: fake.url, CLOISTER_SIM_PLATFORM_DIR: fake.platformDir, CLOISTER_HOME: tempDir('home') });
  for (const k of ['CLOISTER_USER_KEY', 'CLOISTER_USER_CERT', 'CLOISTER_USER']) delete process.env[k];
});
after(() => fake.close());
beforeEach(() => {
  fake.routes.clear();
  fake.clientCerts.clear();
});

const proposal = (o: Partial<Record<string, unknown>> = {}) => ({
  proposalHash: PROPOSAL,
  manifestHash: NEXT,
  previousManifestHash: CURRENT,
  change: 'manifest-update',
  proposedBy: 'alice',
  proposedAt: '2025-06-01T00:00:00.000Z',
  approvedBy: [] as string[],
  needed: 2,
  status: 'open',
  ...o,
});
const ok = (json: unknown) => async () => ({ status: 200, json });
const spkiOfCert = (der: Buffer | undefined): Buffer | undefined => (der === undefined ? undefined : new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }));
const spkiOfKey = (k: KeyObject): Buffer => createPublicKey(k).export({ type: 'spki', format: 'der' });

// ---- usage errors: no coordinator needed ----

test('usage errors exit 2 before anything is sent', async () => {
  const cases: string[][] = [
    ['manifest', 'approve', 'not-a-hash', '--key', aliceKey, '--simulation'],
    ['manifest', 'status', '--simulation'], // no --key
    ['manifest', 'status', '--simulation', '--key', join(dir, 'missing.pem')],
    ['manifest', 'status', '--simulation', '--key', aliceKey, '--signed-request'], // no --user
    ['manifest', 'status', '--simulation', '--key', aliceKey, '--user', 'alice'], // --user without --signed-request
    ['manifest', 'status', '--simulation', '--key', aliceKey, '--signed-request', '--user', 'alice', '--cert', aliceKey],
    ['audit', 'log', '--simulation', '--key', aliceKey, '--from', '0'],
    ['audit', 'log', '--simulation', '--key', aliceKey, '--limit', 'x'],
    ['secret', 'set', 'bad/name', '--from-file', aliceKey, '--key', aliceKey, '--simulation'],
    ['secret', 'set', 'db', '--key', aliceKey, '--simulation'], // no --from-file
    ['recover', '--simulation'], // no --key
    ['manifest', 'propose', join(dir, 'missing.yaml'), '--key', aliceKey, '--simulation'],
  ];
  for (const args of cases) {
    const r = await runCli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(fake.clientCerts.size, 0, 'nothing reached the coordinator');
});

test('an unusable user key is refused with its code', async () => {
  const weak = file('weak.pem', pemOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey));
  const r = await runCli('manifest', 'status', '--simulation', '--key', weak);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /USER_KEY_INVALID/);
});

test('--help documents every governance command and the user flags', async () => {
  for (const cmd of [['manifest', 'propose'], ['manifest', 'approve'], ['manifest', 'status'], ['manifest', 'history'], ['audit', 'verify'], ['audit', 'log'], ['secret', 'set'], ['secret', 'get']]) {
    const r = await runCli(...cmd, '--help');
    assert.equal(r.code, 0);
    for (const flag of ['--key', '--cert', '--signed-request', '--user', '--coordinator', '--simulation']) assert.ok(r.stdout.includes(flag), `${cmd.join(' ')} --help lacks ${flag}`);
  }
  const r = await runCli('recover', '--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--key <file>/);
});

// ---- against the fake coordinator ----

test('manifest propose: sends the manifest over mTLS with a certificate for --key; prints the proposal', async () => {
  let sent: unknown;
  fake.routes.set('POST /api/v1/manifest/proposals', async (_req, body) => ((sent = body), { status: 201, json: proposal() }));
  const r = await runCli('manifest', 'propose', nextFile, '--simulation', '--key', aliceKey);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(sent, { manifest: NEXT_TEXT });
  assert.ok(r.stdout.includes(PROPOSAL));
  assert.deepEqual(spkiOfCert(fake.clientCerts.get('/api/v1/manifest/proposals')), spkiOfKey(keys.alice.privateKey));
});

test('manifest propose: a proposal for another manifest or with a wrong hash is refused', async () => {
  fake.routes.set('POST /api/v1/manifest/proposals', ok(proposal({ manifestHash: CURRENT })));
  let r = await runCli('manifest', 'propose', nextFile, '--simulation', '--key', aliceKey);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PROPOSAL_INCONSISTENT/);
  fake.routes.set('POST /api/v1/manifest/proposals', ok(proposal({ proposalHash: 'ee'.repeat(32) })));
  r = await runCli('manifest', 'propose', nextFile, '--simulation', '--key', aliceKey, '--json');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PROPOSAL_INCONSISTENT/);
});

test('manifest approve: shows the change, signs the approval with --key, reports the tally', async () => {
  const signatures: string[] = [];
  fake.routes.set(`GET /api/v1/manifest/proposals/${PROPOSAL}`, ok({ ...proposal({ approvedBy: ['alice'] }), manifest: NEXT_TEXT }));
  fake.routes.set(`POST /api/v1/manifest/proposals/${PROPOSAL}/approvals`, async (_req, body) => {
    signatures.push(String(body?.signature));
    return { status: 200, json: { ...proposal({ approvedBy: ['alice', 'bob'] }), applied: false, currentManifestHash: CURRENT } };
  });
  const r = await runCli('manifest', 'approve', PROPOSAL.toUpperCase(), '--simulation', '--key', bobKey, '--manifest', nextFile);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /manifest-update/);
  assert.match(r.stdout, /changes\s+packages/);
  assert.match(r.stdout, /2\/2/);
  assert.equal(signatures.length, 1);
  assert.ok(verifyUserSignature(keys.bob.publicKey, approvalMessage(PROPOSAL), Buffer.from(signatures[0]!, 'hex')), 'the approval is bob-s signature over the proposal');
});

test('manifest approve: refuses to sign a proposal whose text does not match its hashes, or another manifest than --manifest', async () => {
  let posted = 0;
  fake.routes.set(`POST /api/v1/manifest/proposals/${PROPOSAL}/approvals`, async () => (posted++, { status: 500, json: {} }));
  fake.routes.set(`GET /api/v1/manifest/proposals/${PROPOSAL}`, ok({ ...proposal(), manifest: DEMO.replace(/a1a1a1/g, 'a3a3a3') }));
  let r = await runCli('manifest', 'approve', PROPOSAL, '--simulation', '--key', bobKey);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PROPOSAL_INCONSISTENT/);
  fake.routes.set(`GET /api/v1/manifest/proposals/${PROPOSAL}`, ok({ ...proposal(), manifest: NEXT_TEXT }));
  r = await runCli('manifest', 'approve', PROPOSAL, '--simulation', '--key', bobKey, '--manifest', file('other.yaml', DEMO));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /MANIFEST_HASH_MISMATCH/);
  assert.equal(posted, 0);
});

test("a 403 prints the coordinator's reason and exits 1", async () => {
  fake.routes.set('GET /api/v1/manifest/proposals', async () => problem(403, 'GOVERNANCE_NOT_AUTHORIZED', "user 'bob' (role owners) may not status.read"));
  const r = await runCli('manifest', 'status', '--simulation', '--key', bobKey);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /403 GOVERNANCE_NOT_AUTHORIZED: user 'bob' \(role owners\) may not status\.read/);
});

test('manifest status and history; --signed-request sends a Cloister-Signature the coordinator verifies and no certificate', async () => {
  let verified: string | undefined;
  fake.routes.set('GET /api/v1/manifest/proposals', async (req) => {
    const auth = decodeSignedRequestHeader(String(req.headers['cloister-signature']));
    verified = verifySignedRequest(MODEL, { method: req.method!, path: req.url!, body: new Uint8Array(0) }, auth, { now: new Date(), maxSkewMs: 60_000, seenNonce: () => false }).principal.name;
    return { status: 200, json: { proposals: [proposal({ approvedBy: ['alice'] }), proposal({ proposalHash: proposalHashOf(CURRENT, 'ab'.repeat(32)), manifestHash: 'ab'.repeat(32), status: 'stale' })] } };
  });
  let r = await runCli('manifest', 'status', '--simulation', '--key', aliceKey, '--signed-request', '--user', 'alice');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(verified, 'alice');
  assert.equal(fake.clientCerts.get('/api/v1/manifest/proposals'), undefined);
  assert.match(r.stdout, /1 open proposal/);
  assert.match(r.stdout, new RegExp(`${PROPOSAL}.*approvals 1/2 \\(alice\\)`));
  fake.routes.set('GET /api/v1/manifest/history', ok({ history: [{ manifestHash: CURRENT, previousManifestHash: null, appliedAt: '2025-06-01T00:00:00.000Z', proposalHash: null, approvedBy: [] }] }));
  r = await runCli('manifest', 'history', '--simulation', '--key', aliceKey, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((jsonOf(r).history as unknown[]).length, 1);
});

function auditLog(n: number): AuditRecord[] {
  const signer = auditSigner(KeyObject.from(fake.root.keys.privateKey));
  let cur: StoredAuditHead = EMPTY_AUDIT_LOG;
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = appendOps(cur, { time: new Date(Date.parse('2025-06-01T00:00:00Z') + i), kind: 'secret.set', actor: 'user:alice', detail: { i } }, signer);
    out.push(r.record);
    cur = { head: r.newHead, revision: cur.revision + 1n };
  }
  return out;
}
function serveAudit(log: readonly AuditRecord[]): void {
  const last = log[log.length - 1]!;
  fake.routes.set('GET /api/v1/audit', async (req) => {
    const q = new URL(req.url!, 'https://x').searchParams;
    const from = Number(q.get('from'));
    const limit = Number(q.get('limit'));
    return { status: 200, json: { entries: log.slice(from - 1, from - 1 + limit), head: { seq: last.seq, hash: last.hash } } };
  });
}

test('audit verify: a signed log verifies; an edited one names the first bad seq (and --json says ok false)', async () => {
  const log = auditLog(5);
  serveAudit(log);
  let r = await runCli('audit', 'verify', '--simulation', '--key', aliceKey);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^OK: audit log verified: 5 entries, head seq 5/);
  serveAudit(log.map((e) => (e.seq === 3 ? { ...e, detail: { i: 42 } } : e)));
  r = await runCli('audit', 'verify', '--simulation', '--key', aliceKey);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AUDIT_LOG_INVALID: audit log does not verify at seq 3/);
  r = await runCli('audit', 'verify', '--simulation', '--key', aliceKey, '--json');
  assert.equal(r.code, 1);
  const j = jsonOf(r) as { ok: boolean; error: { code: string; detail: { seq: number } } };
  assert.equal(j.ok, false);
  assert.equal(j.error.code, 'AUDIT_LOG_INVALID');
  assert.equal(j.error.detail.seq, 3);
});

test('audit log: readable lines of a range, --json as stored', async () => {
  const log = auditLog(5);
  serveAudit(log);
  let r = await runCli('audit', 'log', '--simulation', '--key', aliceKey, '--from', '2', '--limit', '2');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.slice(0, 7)), ['#000002', '#000003']);
  r = await runCli('audit', 'log', '--simulation', '--key', aliceKey, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { entries: unknown[] }).entries.length, 5);
});

test('secret set and get: the value round-trips, --out is written 0600', async () => {
  let stored: string | undefined;
  fake.routes.set('PUT /api/v1/secrets/dbPassword', async (_req, body) => ((stored = String(body?.value)), { status: 200, json: { name: 'dbPassword', size: Buffer.from(stored, 'base64').length } }));
  fake.routes.set('GET /api/v1/secrets/dbPassword', async () => ({ status: 200, json: { name: 'dbPassword', value: stored, setAt: '2025-06-01T00:00:00.000Z' } }));
  const value = randomBytes(40);
  let r = await runCli('secret', 'set', 'dbPassword', '--from-file', file('value.bin', value), '--simulation', '--key', aliceKey);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Buffer.from(stored!, 'base64'), value);
  const out = join(dir, 'got.bin');
  r = await runCli('secret', 'get', 'dbPassword', '--out', out, '--simulation', '--key', aliceKey);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(out), value);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  fake.routes.set('GET /api/v1/secrets/dbPassword', async () => problem(404, 'SECRET_NOT_SET'));
  r = await runCli('secret', 'get', 'dbPassword', '--out', out, '--simulation', '--key', aliceKey);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /404 SECRET_NOT_SET/);
});

test('recover: finds the envelope for --key, decrypts it locally and sends the share; a key without an envelope is refused', async () => {
  const holder = generateKeyPairSync('x25519');
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
  const { shares } = splitSecret(randomBytes(32), 2, 1, random);
  const envelope = encryptShare(holder.publicKey, shares[1]!, random);
  fake.routes.set('GET /api/v1/recovery', ok({
    state: 'recovery', threshold: 1, total: 2, have: 0,
    keys: { k2: { fingerprint: recoveryKeyFingerprint(holder.publicKey), envelope: Buffer.from(envelope).toString('base64') } },
  }));
  let got: string | undefined;
  fake.routes.set('POST /api/v1/recover', async (_req, body) => ((got = String(body?.share)), { status: 200, json: { status: 'complete', state: 'accepting-workloads' } }));
  let r = await runCli('recover', '--simulation', '--key', file('holder.pem', pemOf(holder.privateKey)));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /recovered/);
  assert.equal(got, Buffer.from(encodeShare(shares[1]!)).toString('base64'));
  r = await runCli('recover', '--simulation', '--key', file('stranger.pem', pemOf(stranger.privateKey)));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RECOVERY_ENVELOPE_NOT_FOUND/);
});
