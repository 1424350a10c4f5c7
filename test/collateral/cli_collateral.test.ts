import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { pemBlocks } from '../../src/common/pem.js';
import { SKIP_NO_VECTORS, readVector, readVectorText, vectorPath } from '../support/vectors.js';
import { deadPort, startFakeServer, type FakeServer } from './support/fake_server.js';
import { pcsVector } from './support/pcs_routes.js';
import { testPki } from './support/test_pki.js';

const HARNESS = fileURLToPath(new URL('./support/cli_harness.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const servers: FakeServer[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cloister-cli-'));
  dirs.push(d);
  return d;
}

/** Runs the CLI in a child process (async, so this process keeps serving the fake PCS/KDS). */
function cli(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', HARNESS, 'collateral', ...args], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('collateral fetch <tdx quote> writes the bundle the local PCS serves (equal to the vector bundle)', { skip: SKIP_NO_VECTORS }, async () => {
  const id = 'tdx/go-tdx-guest-spr-v4';
  const v = pcsVector(id);
  const s = await startFakeServer(v.routes);
  servers.push(s);
  const dir = tempDir();
  const out = join(dir, 'bundle.json');
  const args = ['fetch', vectorPath(id, 'quote.bin'), '--out', out, '--pcs', s.url, '--root-ca-crl', `${s.url}/IntelSGXRootCA.der`, '--cache-dir', join(dir, 'cache')];
  const r = await cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), v.bundle);
  assert.match(r.stderr, /fetching TDX TCB info for FMSPC 50806f000000 from http:\/\/127\.0\.0\.1:\d+\/tdx\/certification\/v4\/tcb\?fmspc=50806f000000/);
  // the cache holds one entry per item; the vector's collateral expired long ago by the
  // system clock the CLI uses, so a second run must refetch (serving hits with a pinned
  // clock is covered in cache.test.ts)
  assert.equal(readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.json')).length, 4);
  const before = s.requests.length;
  const again = await cli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(s.requests.length, before + 4);
  assert.doesNotMatch(again.stderr, /using cached/);
});

test('collateral fetch <snp report> --product Milan writes VCEK, ASK, ARK and CRL as PEM', { skip: SKIP_NO_VECTORS }, async () => {
  const id = 'snp/go-sev-guest-milan';
  const pki = await testPki();
  const chip = JSON.parse(readVectorText(id, 'case.json')).decoded.chip_id as string;
  const s = await startFakeServer({
    [`/vcek/v1/Milan/${chip}?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68`]: { body: readVector(id, 'vcek.der') },
    '/vcek/v1/Milan/cert_chain': { body: readVectorText(id, 'ask_ark_milan.pem') },
    '/vcek/v1/Milan/crl': { body: pki.crlDer },
  });
  servers.push(s);
  const out = join(tempDir(), 'certs.pem');
  const r = await cli(['fetch', vectorPath(id, 'report.bin'), '--out', out, '--kds', s.url, '--product', 'Milan']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(pemBlocks(readFileSync(out, 'utf8')).map((b) => b.label), ['CERTIFICATE', 'CERTIFICATE', 'CERTIFICATE', 'X509 CRL']);
});

test('offline: one clear line naming the URL and the reason, exit 1', { skip: SKIP_NO_VECTORS }, async () => {
  const port = await deadPort();
  const base = `http://127.0.0.1:${port}`;
  const r = await cli(['fetch', vectorPath('tdx/go-tdx-guest-spr-v4', 'quote.bin'), '--out', join(tempDir(), 'b.json'), '--pcs', base, '--root-ca-crl', `${base}/root.der`, '--timeout', '20000']);
  assert.equal(r.code, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, new RegExp(`^error COLLATERAL_FETCH_FAILED: cannot fetch http://127\\.0\\.0\\.1:${port}/\\S+: ECONNREFUSED \\(no network\\? use a local PCCS with --pccs URL, or verify with an offline bundle: --collateral bundle\\.json\\)$`));
});

test('usage errors exit 2: missing --out, bad --timeout, --pcs with --pccs, unreadable evidence', async () => {
  const dir = tempDir();
  assert.equal((await cli(['fetch', 'quote.bin'])).code, 2);
  assert.equal((await cli(['fetch', join(dir, 'nope.bin'), '--out', join(dir, 'o'), '--timeout', 'soon'])).code, 2);
  assert.equal((await cli(['fetch', join(dir, 'nope.bin'), '--out', join(dir, 'o'), '--pcs', 'http://a', '--pccs', 'http://b'])).code, 2);
  const r = await cli(['fetch', join(dir, 'nope.bin'), '--out', join(dir, 'o')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error INPUT_UNREADABLE: /m);
});
