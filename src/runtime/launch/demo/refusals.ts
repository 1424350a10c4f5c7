import { appendFile, chmod, copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measurePath } from '../../../tee/index.js';
import { CLIENT_SIDE_TLS_ERRORS, impostorCertificate, probeHttps } from './probe.js';
import type { WorkloadProcess } from './workload_process.js';

/**
 * The demo's negative checks: each returns a short description of what held, or throws with
 * what did not (the checklist turns that into PASS/FAIL lines).
 */
const TIMEOUT_MS = 10_000;

/** A caller without any client certificate must be refused by the server itself. */
export async function unattestedCallerRefused(apiUrl: string, rootCaPem: string): Promise<string> {
  const r = await probeHttps(`${apiUrl}/hello`, { ca: rootCaPem, timeoutMs: TIMEOUT_MS });
  return refusedBy(r, 'without a client certificate');
}

/** A caller with a certificate naming the client workload, but from another CA, must be refused too. */
export async function impostorRefused(apiUrl: string, rootCaPem: string, now: Date): Promise<string> {
  const impostor = await impostorCertificate(now);
  const r = await probeHttps(`${apiUrl}/hello`, { ca: rootCaPem, cert: impostor.certPem, key: impostor.keyPem, timeoutMs: TIMEOUT_MS });
  return refusedBy(r, 'with a look-alike certificate from another CA');
}

function refusedBy(r: { status?: number; error?: string }, how: string): string {
  if (r.status !== undefined) throw new Error(`the api answered HTTP ${r.status} ${how}`);
  // the probe verifies the api against the coordinator's root: a failure on our side would prove nothing
  if (r.error === undefined || CLIENT_SIDE_TLS_ERRORS.has(r.error)) throw new Error(`the probe itself failed (${r.error ?? 'no error'})`);
  return `refused in the TLS handshake: ${r.error}`;
}

/**
 * Copies the api program, changes one line, and starts the copy as the api workload: the
 * coordinator must refuse the activation (its measurement is not in the manifest), the
 * launcher must exit 125 with one error line, and the copy must never run.
 */
export async function tamperedProgramRefused(o: {
  readonly program: string;
  readonly workDir: string;
  readonly start: (program: string) => WorkloadProcess;
  readonly note: (line: string) => void;
}): Promise<string> {
  const copy = join(o.workDir, 'tampered', 'api.mjs');
  await mkdir(join(o.workDir, 'tampered'), { recursive: true, mode: 0o700 });
  await copyFile(o.program, copy);
  await appendFile(copy, '\n// one changed line: this is no longer the reviewed program\n');
  await chmod(copy, 0o755);
  o.note(`tampered copy of api.mjs at ${copy}, measurement ${(await measurePath(copy)).slice(0, 16)}…`);
  const p = o.start(copy);
  const r = await p.exited;
  if (p.lines.some((l) => /listening on/.test(l))) throw new Error('the tampered program started');
  if (r.code !== 125) throw new Error(`the launcher exited ${r.signal ?? r.code}, want 125`);
  if (!p.lines.some((l) => l.includes('LAUNCH_ACTIVATION_REFUSED') && l.includes('MEASUREMENT_MISMATCH'))) {
    throw new Error('the launcher did not report LAUNCH_ACTIVATION_REFUSED / MEASUREMENT_MISMATCH');
  }
  return 'MEASUREMENT_MISMATCH, launcher exit 125, the program never started';
}

/** The db's files on disk hold none of what the client stored (`needle`): the volume is encrypted. */
export async function volumeEncrypted(dataDir: string, needle: string): Promise<string> {
  const files = await listFiles(dataDir);
  if (files.length === 0) throw new Error(`no files in ${dataDir}: the db stored nothing`);
  for (const f of files) {
    if ((await readFile(f)).includes(needle)) throw new Error(`${f} contains the stored text in the clear`);
  }
  return `${files.length} file(s) in ${dataDir}, none holds the stored text in the clear`;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
