import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { parseVolumeKey, registerProtectCommands } from '../../../src/cli/commands/protect.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit.js';
import { CloisterError } from '../../../src/common/errors.js';
import { assertThrowsCode } from '../../support/assert_code.js';

const base = mkdtempSync(join(tmpdir(), 'cloister-protect-cli-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/**
 * Runs `cloister protect ...` in this process on a bare program with main.ts's error
 * handling, capturing stdout and the error; returns stdout, the error code and the exit code.
 */
async function cli(...args: string[]): Promise<{ out: string; error: string | undefined; code: number }> {
  let out = '';
  let error: string | undefined;
  let code = -1;
  const program = new Command('cloister').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const run = async (fn: () => Promise<number>): Promise<void> => {
    try {
      code = await fn();
    } catch (e) {
      error = e instanceof CloisterError ? e.code : String(e);
      code = exitCodeFor(e);
    }
  };
  registerProtectCommands(program, run, (text) => {
    out += text;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = EXIT.USAGE; // as main.ts: commander's own usage errors
  }
  return { out, error, code };
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
  assert.equal(s.code, 0, s.error);
  assert.match(s.out, /^sealed 2 files into volume kv: version 1, state [0-9a-f]{64}/);
  assert.equal(JSON.parse(readFileSync(state, 'utf8')).volumes.kv.version, 1, 'default state file beside the volume');

  const v = await cli('protect', 'verify', vol, '--key-file', keyFile, '--json');
  assert.equal(v.code, 0, v.error);
  assert.deepEqual({ ...JSON.parse(v.out), hash: undefined }, { ok: true, volumeId: 'kv', version: 1, hash: undefined, files: 2, bytes: 11, pendingCommit: false });

  const out = join(vol, '..', 'out');
  const u = await cli('protect', 'unseal', vol, out, '--key-file', keyFile, '--state', state);
  assert.equal(u.code, 0, u.error);
  assert.equal(readFileSync(join(out, 'config.json'), 'utf8'), '{"a":1}');
  assert.deepEqual([...readFileSync(join(out, 'db', 'data.bin'))], [0, 1, 2, 255]);
  assert.equal(statSync(join(out, 'db', 'data.bin')).mode & 0o077, 0);

  // sealing again mirrors the tree: a removed file is removed from the volume, version 2
  rmSync(join(plain, 'config.json'));
  const s2 = await cli('protect', 'seal', plain, vol, '--key-file', keyFile);
  assert.equal(s2.code, 0, s2.error);
  assert.match(s2.out, /sealed 1 file into volume kv: version 2/);
});

test('rejections exit 1 with the code; usage problems exit 2', async () => {
  const { plain, vol, keyFile, state } = setup();
  const seal = (): ReturnType<typeof cli> => cli('protect', 'seal', plain, vol, '--key-file', keyFile, '--volume-id', 'kv');
  assert.equal((await seal()).code, 0);
  const atVersion1 = readFileSync(state);
  writeFileSync(join(plain, 'extra'), 'x');
  assert.equal((await seal()).code, 0);
  // the state file one version behind is indistinguishable from a crash inside commit: rolled forward
  const atVersion2 = readFileSync(state);
  writeFileSync(state, atVersion1);
  const pending = await cli('protect', 'verify', vol, '--key-file', keyFile, '--json');
  assert.equal(pending.code, 0, pending.error);
  assert.equal(JSON.parse(pending.out).pendingCommit, true);
  writeFileSync(state, atVersion2);
  writeFileSync(join(plain, 'extra'), 'y');
  assert.equal((await seal()).code, 0);
  // two versions behind: refused
  writeFileSync(state, atVersion1);
  assert.deepEqual(await cli('protect', 'verify', vol, '--key-file', keyFile), { out: '', error: 'VOLUME_AHEAD_OF_AUTHORITY', code: 1 });

  const wrongKey = join(vol, '..', 'wrong.key');
  writeFileSync(wrongKey, Buffer.alloc(32, 1));
  const w = await cli('protect', 'verify', vol, '--key-file', wrongKey, '--state', state);
  assert.deepEqual([w.code, w.error], [1, 'VOLUME_KEY_WRONG']);

  const badKey = join(vol, '..', 'bad.key');
  writeFileSync(badKey, 'short');
  const usage = [
    ['protect', 'verify', vol, '--key-file', badKey],
    ['protect', 'verify', vol, '--key-file', join(vol, 'missing.key')],
    ['protect', 'verify', vol, '--key-file', keyFile, '--state', join(vol, 'none.json')],
    ['protect', 'verify', join(vol, 'none'), '--key-file', keyFile],
    ['protect', 'seal', plain, join(vol, '..', 'new-vol'), '--key-file', keyFile], // a new volume needs --volume-id
    ['protect', 'seal', plain, join(vol, '..', 'new-vol'), '--key-file', keyFile, '--volume-id', '../bad'],
    ['protect', 'seal', join(vol, '..', 'no-plain'), vol, '--key-file', keyFile],
    ['protect', 'verify', vol], // missing --key-file
  ];
  for (const args of usage) assert.equal((await cli(...args)).code, EXIT.USAGE, args.join(' '));
});

test('a tampered file makes verify and unseal fail without writing plaintext', async () => {
  const { plain, vol, keyFile } = setup();
  assert.equal((await cli('protect', 'seal', plain, vol, '--key-file', keyFile, '--volume-id', 'kv')).code, 0);
  const obj = join(vol, 'objects', readdirSync(join(vol, 'objects'))[0]!);
  const bytes = readFileSync(obj);
  bytes[bytes.byteLength - 1]! ^= 0x80;
  writeFileSync(obj, bytes);
  const v = await cli('protect', 'verify', vol, '--key-file', keyFile);
  assert.deepEqual([v.code, v.error], [1, 'VOLUME_TAMPERED']);
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
