import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { appendFile, chmod, copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startCoordinator } from '../../../src/coordinator/index.js';
import { launch, launchExitCode, LaunchError, prepareLaunch } from '../../../src/runtime/launch/index.js';
import { assertRejectsCode } from '../../support/assert_code.js';
import { configFor, depsFor, readReport, startFixture, waitReady, type Fixture } from './support.js';

/**
 * The launcher flow in-process against a real coordinator over HTTPS on 127.0.0.1, running a
 * real child program. Signals come from an EventEmitter standing in for the process (the
 * real-process test in cli_process.test.ts covers real signals and exit statuses).
 */
let f: Fixture;
let n = 0;
const reportPath = () => join(f.dir, `report-${++n}.json`);

describe('cloister run (in-process, real coordinator)', () => {
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.coord.close();
    if (f !== undefined) await rm(f.dir, { recursive: true, force: true });
  });

  test("runs the program with the manifest's files (0600, new dirs 0700), env and argv; exits with its code", async () => {
    const report = reportPath();
    const d = depsFor(f, { MODE: 'exit:7' }, report);
    const code = await launch(configFor(f, 'app', {}, [f.program, '--from-command-line']), d);
    assert.equal(code, 7);
    const r = (await readReport(report))!;
    assert.deepEqual(r.argv, ['--from-manifest', 'app'], "a non-empty manifest argv replaces the command line's arguments");
    assert.equal(r.script, f.program, 'the file that ran is the resolved, measured one');
    const env = r.env as Record<string, string>;
    assert.match(env.INSTANCE!, /^app-\d+$/);
    assert.equal(env.FROM_MANIFEST, 'yes');
    assert.equal(env.INHERITED, 'from-the-launcher');

    for (const file of ['app/tls/cert.pem', 'app/tls/key.pem', 'app/secret.hex']) {
      assert.equal((await stat(join(f.files, file))).mode & 0o777, 0o600, file);
    }
    for (const dir of ['', 'app', 'app/tls']) assert.equal((await stat(join(f.files, dir))).mode & 0o777, 0o700, `dir ${dir}`);
    const certPem = await readFile(join(f.files, 'app/tls/cert.pem'), 'utf8');
    const keyPem = await readFile(join(f.files, 'app/tls/key.pem'), 'utf8');
    const leaf = new X509Certificate(certPem);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)), 'the key file is the key of the certificate (self.key filled in locally)');
    assert.ok(leaf.subjectAltName?.includes(`URI:cloister://workload/app/${env.INSTANCE}`));
    assert.match(await readFile(join(f.files, 'app/secret.hex'), 'utf8'), /^[0-9a-f]{64}$/);
    assert.ok(d.lines.some((l) => l.includes('attested')) && d.lines.some((l) => l.startsWith('activated app/')));
  });

  test('keeps the command-line arguments when the manifest has no argv, and reuses a given instance id', async () => {
    const report = reportPath();
    const c = configFor(f, 'plain', { instanceId: 'plain-fixed' }, [f.program, 'a b', '--c']);
    assert.equal(await launch(c, depsFor(f, { MODE: 'exit:0' }, report)), 0);
    assert.deepEqual((await readReport(report))!.argv, ['a b', '--c']);
    const again = await prepareLaunch(c, depsFor(f, {}, reportPath()));
    assert.equal(again.activation.instanceId, 'plain-fixed');
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    test(`forwards ${signal} to the program and exits with the program's own code`, async () => {
      const report = reportPath();
      const d = depsFor(f, { MODE: 'trap' }, report);
      const running = launch(configFor(f, 'plain'), d);
      await waitReady(report);
      d.signals.emit(signal);
      assert.equal(await running, 42);
      assert.equal((await readReport(report))!.signal, signal);
    });
  }

  test('a program killed by a forwarded signal gives 128 + n', async () => {
    const report = reportPath();
    const d = depsFor(f, { MODE: 'hang' }, report);
    const running = launch(configFor(f, 'plain'), d);
    await waitReady(report);
    d.signals.emit('SIGINT');
    assert.equal(await running, 130);
    const hup = depsFor(f, { MODE: 'hang' }, reportPath());
    const second = launch(configFor(f, 'plain'), hup);
    await waitReady(hup.env.REPORT_FILE!);
    hup.signals.emit('SIGHUP');
    assert.equal(await second, 129);
  });

  describe('failures: one typed error, and the program never starts', () => {
    async function refused(workload: string, o: { flags?: Parameters<typeof configFor>[2]; program?: string; url?: string }, code: string, reason?: string) {
      const report = reportPath();
      const c = configFor(f, workload, o.flags, [o.program ?? f.program]);
      const e = await assertRejectsCode(() => launch(o.url === undefined ? c : { ...c, coordinatorUrl: o.url }, depsFor(f, { MODE: 'exit:0' }, report)), code);
      if (reason !== undefined) assert.equal(e.detail?.reason, reason);
      assert.equal(e.message.includes('\n'), false, 'one line');
      assert.equal(await readReport(report), undefined, 'the program did not run');
      return e;
    }

    test('a tampered program (other measurement) is refused activation', async () => {
      const tampered = join(f.dir, 'tampered.mjs');
      await copyFile(f.program, tampered);
      await appendFile(tampered, '// one more line\n');
      await chmod(tampered, 0o755);
      const e = await refused('app', { program: tampered }, 'LAUNCH_ACTIVATION_REFUSED', 'MEASUREMENT_MISMATCH');
      assert.equal(launchExitCode(e), 125);
    });

    test('a coordinator attesting another manifest hash than the pinned one is not trusted', async () => {
      await refused('app', { flags: { manifestHash: 'ab'.repeat(32) } }, 'LAUNCH_COORDINATOR_NOT_TRUSTED', 'MANIFEST_HASH_MISMATCH');
    });

    test('a simulated coordinator without --simulation is not trusted (hardware is never faked)', async () => {
      const report = reportPath();
      const c = { ...configFor(f, 'app'), simulation: false, tee: 'gramine' as const };
      const e = await assertRejectsCode(() => launch(c, depsFor(f, {}, report)), 'LAUNCH_COORDINATOR_NOT_TRUSTED');
      assert.equal(e.detail?.reason, 'SIMULATED_COORDINATOR_NOT_ALLOWED');
      assert.equal(await readReport(report), undefined);
    });

    test('unknown workload, unreachable coordinator, missing and non-executable programs', async () => {
      await refused('nope', {}, 'LAUNCH_ACTIVATION_REFUSED', 'WORKLOAD_UNKNOWN');
      await refused('app', { url: 'https://127.0.0.1:1' }, 'LAUNCH_COORDINATOR_NOT_TRUSTED', 'COORDINATOR_UNREACHABLE');
      const missing = await refused('app', { program: join(f.dir, 'absent.mjs') }, 'LAUNCH_COMMAND_NOT_FOUND');
      assert.equal(launchExitCode(missing), 127);
      const plainFile = join(f.dir, 'not-executable.mjs');
      await writeFile(plainFile, 'console.log(1)\n', { mode: 0o644 });
      const notExec = await refused('app', { program: plainFile }, 'LAUNCH_COMMAND_NOT_EXECUTABLE');
      assert.equal(launchExitCode(notExec), 126);
    });

    test('a file that cannot be written stops the launch', async () => {
      const e = await refused('blocked', {}, 'LAUNCH_FILES_UNWRITABLE');
      assert.equal(e.detail?.errno, 'ENOTDIR');
    });

    test('a coordinator without a manifest is not ready', async () => {
      const bare = await startCoordinator({ simulation: true, stateDir: join(f.dir, 'bare-state'), platformDir: f.platformDir, port: 0, log: pino({ level: 'silent' }) });
      try {
        await refused('app', { url: bare.url, flags: { manifestHash: undefined } }, 'LAUNCH_COORDINATOR_NOT_READY');
      } finally {
        await bare.close();
      }
    });

    test('a signal before the program started interrupts the launch (128 + n)', async () => {
      const report = reportPath();
      const d = depsFor(f, { MODE: 'exit:0' }, report);
      const running = launch(configFor(f, 'app'), d);
      d.signals.emit('SIGTERM');
      const e = await assertRejectsCode(() => running, 'LAUNCH_INTERRUPTED');
      assert.equal(launchExitCode(e), 143);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await readReport(report), undefined);
      assert.ok(e instanceof LaunchError);
    });
  });

  test('renews the certificate at 2/3 of its lifetime (config.certLifetime) and rewrites the files atomically', async () => {
    const report = reportPath();
    const d = depsFor(f, { MODE: 'watch', CERT_FILE: join(f.files, 'short/cert.pem') }, report);
    const code = await launch(configFor(f, 'short'), d);
    const r = (await readReport(report))!;
    assert.equal(code, 0, `the program saw ${(r.certs as string[] | undefined)?.length ?? 0} certificates; log: ${d.lines.join(' | ')}`);
    const certs = (r.certs as string[]).map((pem) => new X509Certificate(pem));
    assert.equal(new Set(certs.map((c) => c.serialNumber)).size, 3, 'three different certificates');
    const instances = new Set(certs.map((c) => /URI:(cloister:\/\/workload\/short\/[^,\s]+)/.exec(c.subjectAltName ?? '')?.[1]));
    assert.equal(instances.size, 1, 'renewal keeps the instance id');
    for (const pem of r.certs as string[]) assert.equal(pem.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2, 'never a partial file');
    assert.ok(d.lines.filter((l) => l.startsWith('renewed short/')).length >= 2);
    // the files on disk are a matching pair, still owner-only
    const key = createPrivateKey(await readFile(join(f.files, 'short/key.pem'), 'utf8'));
    const last = new X509Certificate(await readFile(join(f.files, 'short/cert.pem'), 'utf8'));
    assert.ok(last.checkPrivateKey(key));
    assert.equal((await stat(join(f.files, 'short/key.pem'))).mode & 0o777, 0o600);
  });
});
