import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { storeFromFlags } from '../../../src/cli/commands/coordinator.js';
import { buildProgram } from '../../../src/cli/main.js';
import { assertThrowsCode } from '../../support/assert_code.js';

/** `cloister coordinator start --store URL --etcd-ca/--etcd-cert/--etcd-key FILE` (issue #8). */
const base = mkdtempSync(join(tmpdir(), 'cloister-coordinator-cli-'));
after(() => rmSync(base, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(base, name);
  writeFileSync(p, text);
  return p;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const cert = file('cert.pem', '-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n');
const key = file('key.pem', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
const MAIN = fileURLToPath(new URL('./cli_main.ts', import.meta.url));

describe('coordinator start: store flags', () => {
  test('the flags exist; --store defaults to the file store', () => {
    const start = buildProgram().commands.find((c) => c.name() === 'coordinator')!.commands.find((c) => c.name() === 'start')!;
    const opts = new Map(start.options.map((o) => [o.long, o]));
    for (const f of ['--store', '--etcd-ca', '--etcd-cert', '--etcd-key']) assert.ok(opts.has(f), f);
    assert.equal(opts.get('--store')!.defaultValue, 'file');
    assert.equal(storeFromFlags({}), undefined);
    assert.equal(storeFromFlags({ store: 'file' }), undefined);
  });

  test('etcd:// becomes StartOptions.store; etcds:// carries the files read as bytes', () => {
    assert.deepEqual(storeFromFlags({ store: 'etcd://127.0.0.1:12379,127.0.0.1:22379/c/' }), {
      kind: 'etcd', options: { endpoints: ['127.0.0.1:12379', '127.0.0.1:22379'], prefix: '/c/', timeoutMs: 5000 },
    });
    const s = storeFromFlags({ store: 'etcds://etcd:2379', etcdCa: ca, etcdCert: cert, etcdKey: key });
    assert.equal(s?.kind, 'etcd');
    assert.equal(Buffer.from(s!.options.tls!.ca).toString(), '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
    assert.match(Buffer.from(s!.options.tls!.key!).toString(), /PRIVATE KEY/);
    assert.deepEqual(storeFromFlags({ store: 'etcds://etcd:2379', etcdCa: ca })?.options.tls, { ca: new Uint8Array(Buffer.from('-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n')) });
  });

  test('bad URLs, mismatched TLS flags and unreadable files are refused with their codes', () => {
    assertThrowsCode(() => storeFromFlags({ store: 'etcd://h' }), 'STORE_URL_INVALID');
    assertThrowsCode(() => storeFromFlags({ store: 'redis://h:6379' }), 'STORE_URL_INVALID');
    assertThrowsCode(() => storeFromFlags({ store: 'etcd://h:2379', etcdCa: ca }), 'STORE_URL_TLS_MISMATCH');
    assertThrowsCode(() => storeFromFlags({ etcdCa: ca }), 'STORE_URL_TLS_MISMATCH');
    assertThrowsCode(() => storeFromFlags({ store: 'etcds://h:2379' }), 'STORE_URL_TLS_MISMATCH');
    assertThrowsCode(() => storeFromFlags({ store: 'etcds://h:2379', etcdCa: ca, etcdCert: cert }), 'STORE_URL_TLS_MISMATCH');
    assertThrowsCode(() => storeFromFlags({ store: 'etcds://h:2379', etcdCa: join(base, 'missing.pem') }), 'INPUT_UNREADABLE');
    const dir = join(base, 'a-directory');
    mkdirSync(dir, { recursive: true });
    assertThrowsCode(() => storeFromFlags({ store: 'etcds://h:2379', etcdCa: dir }), 'INPUT_UNREADABLE');
    assertThrowsCode(() => storeFromFlags({ store: 'etcds://h:2379', etcdCa: ca, etcdCert: cert, etcdKey: '/dev/zero' }), 'INPUT_UNREADABLE');
  });

  test('on the command line a bad --store is one error line with its code and exit code 2, before anything starts', () => {
    const stateDir = join(base, 'state');
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'coordinator', 'start', '--simulation', '--listen', '127.0.0.1:0', '--state-dir', stateDir, ...args], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1', CLOISTER_SIM_PLATFORM_DIR: join(base, 'sim') },
    });
    // one child process (a few seconds on a loaded machine); the other codes are checked in-process above
    const bad = run(['--store', 'etcd://h:2379?x=1']);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /^error STORE_URL_INVALID: /);
  });
});
