import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { parseVolumeKey } from '../../../src/cli/commands/protect.js';
import { assertThrowsCode } from '../../support/assert_code.js';

const base = mkdtempSync(join(tmpdir(), 'cloister-protect-cli-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

// The protect commands on a bare program with main.ts's error handling (importing all of main.ts
// costs a second per worker). Worker threads do not inherit the --import tsx loader on Node 20.
const COMMANDS = new URL('../../../src/cli/commands/protect.ts', import.meta.url).href;
const EXIT_TS = new URL('../../../src/cli/exit.ts', import.meta.url).href;
const WORKER_SOURCE = `
const { Command } = require('commander');
import('tsx/esm/api').then(async (tsx) => {
  tsx.register();
  const { registerProtectCommands } = await import(${JSON.stringify(COMMANDS)});
  const { describeError, exitCodeFor } = await import(${JSON.stringify(EXIT_TS)});
  const program = new Command('cloister').exitOverride();
  registerProtectCommands(program, async (fn) => {
    try { process.exitCode = await fn(); } catch (e) { process.stderr.write(describeError(e) + '\\n'); process.exitCode = exitCodeFor(e); }
  });
  await program.parseAsync(process.argv.slice(2), { from: 'user' }).catch(() => { process.exitCode = 2; });
});`;

/**
 * Runs `cloister ...args` in a worker thread (its own process.stdout/stderr/exitCode, and much
 * cheaper than a child process with tsx); returns stdout, stderr and the exit code.
 */
async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, argv: args, stdout: true, stderr: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  worker.stdout.on('data', (b: Buffer) => out.push(b));
  worker.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', resolve);
  });
  return { out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8'), code };
}

function setup(): { plain: string; vol: string; keyFile: string; state: string } {
  const root = join(base, `case${++n}`);
  const plain = join(root, 'plain');
  mkdirSync(join(plain, 'db'), { recursive: true });
  writeFileSync(join(plain, 'config.json'), '{"a":1}');
  writeFileSync(join(plain, 'db', 'data.bin'), Buffer.from([0, 1, 2, 255]));
  const keyFile = join(root, 'key.hex');
  writeFileSync(keyFile, `${'ab'.repeat(32)}\n`);
  return { plain, vol: join(root, 'vol'), keyFile, state: join(root, 'vol.versions.json') };
}

test('seal, verify and unseal round-trip a directory tree', async () => {
  const { plain, vol, keyFile, state } = setup();
  const s = await cli('protect', 'seal', plain, vol, '--key-file', keyFile, '--volume-id', 'kv');
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /^sealed 2 files into volume kv: version 1, state [0-9a-f]{64}/);
  assert.equal(JSON.parse(readFileSync(state, 'utf8')).volumes.kv.version, 1, 'default state file beside the volume');

  const v = await cli('protect', 'verify', vol, '--key-file', keyFile, '--json');
  assert.equal(v.code, 0, v.err);
  assert.deepEqual({ ...JSON.parse(v.out), hash: undefined }, { ok: true, volumeId: 'kv', version: 1, hash: undefined, files: 2, bytes: 11, pendingCommit: false });

  const out = join(vol, '..', 'out');
  const u = await cli('protect', 'unseal', vol, out, '--key-file', keyFile, '--state', state);
  assert.equal(u.code, 0, u.err);
  assert.equal(readFileSync(join(out, 'config.json'), 'utf8'), '{"a":1}');
  assert.deepEqual([...readFileSync(join(out, 'db', 'data.bin'))], [0, 1, 2, 255]);
  assert.equal(statSync(join(out, 'db', 'data.bin')).mode & 0o077, 0);

  // sealing again mirrors the tree: a removed file is removed from the volume, version 2
  rmSync(join(plain, 'config.json'));
  const s2 = await cli('protect', 'seal', plain, vol, '--key-file', keyFile);
  assert.equal(s2.code, 0, s2.err);
  assert.match(s2.out, /sealed 1 files into volume kv: version 2/);
});

test('rejections exit 1 with the code; usage problems exit 2', async () => {
  const { plain, vol, keyFile, state } = setup();
  assert.equal((await cli('protect', 'seal', plain, vol, '--key-file', keyFile, '--volume-id', 'kv')).code, 0);
  const snapshot = readFileSync(state);
  writeFileSync(join(plain, 'extra'), 'x');
  assert.equal((await cli('protect', 'seal', plain, vol, '--key-file', keyFile)).code, 0);
  writeFileSync(state, snapshot); // the state file rolled back: the volume now looks ahead... of a forged authority
  const r = await cli('protect', 'verify', vol, '--key-file', keyFile);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error VOLUME_FORK_DETECTED: /);

  const wrongKey = join(vol, '..', 'wrong.key');
  writeFileSync(wrongKey, Buffer.alloc(32, 1));
  const w = await cli('protect', 'verify', vol, '--key-file', wrongKey, '--state', state);
  assert.equal(w.code, 1);
  assert.match(w.err, /^error VOLUME_KEY_WRONG: /);

  const badKey = join(vol, '..', 'bad.key');
  writeFileSync(badKey, 'short');
  assert.equal((await cli('protect', 'verify', vol, '--key-file', badKey)).code, 2);
  assert.equal((await cli('protect', 'verify', vol, '--key-file', join(vol, 'missing.key'))).code, 2);
  assert.equal((await cli('protect', 'verify', vol, '--key-file', keyFile, '--state', join(vol, 'none.json'))).code, 2);
  assert.equal((await cli('protect', 'seal', plain, join(vol, '..', 'new-vol'), '--key-file', keyFile)).code, 2, 'new volume without --volume-id');
  assert.equal((await cli('protect', 'verify', vol)).code, 2, 'missing --key-file');
});

test('a tampered file makes verify and unseal fail without writing plaintext', async () => {
  const { plain, vol, keyFile } = setup();
  assert.equal((await cli('protect', 'seal', plain, vol, '--key-file', keyFile, '--volume-id', 'kv')).code, 0);
  const obj = join(vol, 'objects', readdirSync(join(vol, 'objects'))[0]!);
  const bytes = readFileSync(obj);
  bytes[bytes.byteLength - 1]! ^= 0x80;
  writeFileSync(obj, bytes);
  const v = await cli('protect', 'verify', vol, '--key-file', keyFile);
  assert.equal(v.code, 1);
  assert.match(v.err, /^error VOLUME_TAMPERED: /);
  const out = join(vol, '..', 'out');
  assert.equal((await cli('protect', 'unseal', vol, out, '--key-file', keyFile)).code, 1);
  assert.throws(() => readdirSync(out), 'nothing was written');
});

test('key files: raw, hex or base64 of 32 bytes', () => {
  const raw = new Uint8Array(32).fill(9);
  assert.deepEqual(parseVolumeKey(raw, 'k'), raw);
  assert.deepEqual(parseVolumeKey(new Uint8Array(Buffer.from(`${Buffer.from(raw).toString('hex')}\n`)), 'k'), raw);
  assert.deepEqual(parseVolumeKey(new Uint8Array(Buffer.from(Buffer.from(raw).toString('base64'))), 'k'), raw);
  assertThrowsCode(() => parseVolumeKey(new Uint8Array(31), 'k'), 'USAGE_ERROR');
  assertThrowsCode(() => parseVolumeKey(new Uint8Array(Buffer.from('zz'.repeat(32))), 'k'), 'USAGE_ERROR');
});
