import { Command } from 'commander';
import { CloisterError } from '../../common/errors.js';
import { manifestHash, parseManifest } from '../../manifest/index.js';
import {
  ClientError,
  endpoint,
  manifestGetResponseSchema,
  manifestSetResponseSchema,
  parseCoordinatorUrl,
  parseResponse,
  request,
  saveCoordinatorRoot,
  statusResponseSchema,
  writeFileAtomic,
  type AttestedCoordinator,
} from '../../runtime/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { renderTable } from '../table.js';
import { attestFromFlags, withCoordinatorOptions } from './user_session.js';

/**
 * Client commands: each attests the coordinator (fresh nonce, evidence, binding, TLS of the
 * same connection) BEFORE sending anything, then pins the attested root for its requests.
 */
export { COORDINATOR_ENV } from './user_session.js';
import { COORDINATOR_ENV } from './user_session.js';
const TIMEOUT_MS = 15_000;

interface ClientFlags {
  coordinator?: string;
  simulation?: boolean;
  simPlatformKey?: string[];
  json?: boolean;
}
interface VerifyFlags extends ClientFlags {
  manifest?: string;
  manifestHash?: string;
  saveCa?: string;
}
type Run = (fn: () => Promise<number>) => Promise<void>;

export function registerClientCommands(program: Command, run: Run): void {
  withClientOptions(program.command('verify'))
    .description('attest the coordinator: evidence, binding to its root CA and manifest hash, TLS; save the verified root CA')
    .option('--manifest <file>', 'expected manifest (JSON or YAML); its canonical hash must be the attested one')
    .option('--manifest-hash <hex>', 'expected manifest hash (64 hex digits)')
    .option('--save-ca <file>', 'also write the verified root CA (PEM) to this file')
    .option('--json', 'print one JSON object')
    .action((f: VerifyFlags) => run(() => verifyCommand(f)));

  const manifest = program.commands.find((c) => c.name() === 'manifest') ?? program.command('manifest').description('set or read the coordinator manifest');
  withClientOptions(manifest.command('set'))
    .description('set the manifest of an uninitialized coordinator (attests it first, then confirms the new hash is attested)')
    .argument('<file>', 'manifest (JSON or YAML)')
    .action((file: string, f: ClientFlags) => run(() => manifestSet(file, f)));
  withClientOptions(manifest.command('get'))
    .description('print the manifest the coordinator enforces (checked against its attested hash)')
    .option('--out <file>', 'write it to this file instead of stdout')
    .action((f: ClientFlags & { out?: string }) => run(() => manifestGet(f)));

  withClientOptions(program.command('status'))
    .description("print the coordinator's state after attesting it")
    .option('--json', 'print one JSON object')
    .action((f: ClientFlags) => run(() => statusCommand(f)));
}

// the coordinator flags and the attestation step are shared with the user commands (user_session.ts)
const withClientOptions = withCoordinatorOptions;

async function attest(f: ClientFlags, expectedManifestHash?: string): Promise<{ url: string; att: AttestedCoordinator }> {
  const att = await attestFromFlags(f, expectedManifestHash);
  return { url: (f.coordinator ?? process.env[COORDINATOR_ENV])!, att };
}

function expectedHash(f: VerifyFlags): string | undefined {
  if (f.manifest !== undefined && f.manifestHash !== undefined) throw new UsageError('USAGE_ERROR', 'give --manifest or --manifest-hash, not both');
  if (f.manifestHash !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(f.manifestHash)) throw new UsageError('USAGE_ERROR', `--manifest-hash '${f.manifestHash}' is not 64 hex digits`);
    return f.manifestHash.toLowerCase();
  }
  if (f.manifest === undefined) return undefined;
  return manifestHash(parseManifest(Buffer.from(readInputFile(f.manifest, 'manifest')).toString('utf8')));
}

async function verifyCommand(f: VerifyFlags): Promise<number> {
  const want = expectedHash(f);
  let url: string;
  let att: AttestedCoordinator;
  try {
    ({ url, att } = await attest(f, want));
  } catch (e) {
    if (f.json !== true || e instanceof UsageError || !(e instanceof CloisterError)) throw e;
    process.stdout.write(`${JSON.stringify({ ok: false, error: e.toJSON() })}\n`);
    return EXIT.REJECTED;
  }
  const saved = await saveCoordinatorRoot(url, att.rootCaPem);
  if (f.saveCa !== undefined) await writeFileAtomic(f.saveCa, att.rootCaPem);
  const tee = att.tee === 'simulated' ? 'SIMULATED' : att.tee.toUpperCase();
  if (f.json === true) {
    const { url: coordinator, tee: t, simulated, manifestHash: mh, rootCaFingerprint, status, claims } = att;
    const out = { ok: true, coordinator, tee: t, simulated, manifestHash: mh, manifestHashChecked: want !== undefined, rootCaFingerprint, rootCaPath: saved, status, claims };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return EXIT.OK;
  }
  const lines = [
    `OK: coordinator ${att.url} attested (${att.simulated ? 'SIMULATED coordinator, ' : ''}TEE ${tee}${att.status === undefined ? '' : `, TCB ${att.status}`})`,
    `manifest hash ${att.manifestHash ?? '(none set)'}${want === undefined ? ' (NOT compared: pass --manifest or --manifest-hash)' : ' (as expected)'}`,
    `root CA sha256 ${att.rootCaFingerprint} saved to ${saved}${f.saveCa === undefined ? '' : ` and ${f.saveCa}`}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

async function manifestSet(file: string, f: ClientFlags): Promise<number> {
  const text = Buffer.from(readInputFile(file, 'manifest')).toString('utf8');
  const local = manifestHash(parseManifest(text)); // invalid manifests fail here, before anything is sent
  const { url, att } = await attest(f);
  const res = await request('POST', endpoint(parseCoordinatorUrl(url), '/api/v1/manifest'), { manifest: text }, { ca: att.rootCaPem, timeoutMs: TIMEOUT_MS });
  const got = parseResponse(manifestSetResponseSchema, res.json, 'manifest set').manifestHash;
  if (got !== local) {
    throw new ClientError('MANIFEST_HASH_MISMATCH', `the coordinator hashed the manifest to ${got}, want ${local} (computed here from ${file})`, { detail: { got, want: local } });
  }
  // Confirm through a fresh attestation that the coordinator now commits to this manifest.
  await attest(f, local);
  process.stdout.write(`manifest set on ${att.url}: hash ${local} (attested)\n`);
  return EXIT.OK;
}

async function manifestGet(f: ClientFlags & { out?: string }): Promise<number> {
  const { url, att } = await attest(f);
  const res = await request('GET', endpoint(parseCoordinatorUrl(url), '/api/v1/manifest'), undefined, { ca: att.rootCaPem, timeoutMs: TIMEOUT_MS });
  const m = parseResponse(manifestGetResponseSchema, res.json, 'manifest get');
  // The text is trusted only if it hashes to what the evidence commits to.
  const got = manifestHash(parseManifest(m.manifest));
  if (att.manifestHash === null || got !== att.manifestHash || m.manifestHash !== att.manifestHash) {
    throw new ClientError('MANIFEST_HASH_MISMATCH', `the returned manifest hashes to ${got}, but the coordinator attests ${att.manifestHash ?? '(none)'}`, {
      detail: { got, want: att.manifestHash },
    });
  }
  if (f.out === undefined) process.stdout.write(m.manifest.endsWith('\n') ? m.manifest : `${m.manifest}\n`);
  else {
    await writeFileAtomic(f.out, m.manifest, 0o644).catch((e: unknown) => {
      throw new UsageError('USAGE_ERROR', `cannot write --out: ${(e as Error).message}`, { cause: e });
    });
    process.stdout.write(`manifest ${got} written to ${f.out}\n`);
  }
  return EXIT.OK;
}

async function statusCommand(f: ClientFlags): Promise<number> {
  const { url, att } = await attest(f);
  const res = await request('GET', endpoint(parseCoordinatorUrl(url), '/api/v1/status'), undefined, { ca: att.rootCaPem, timeoutMs: TIMEOUT_MS });
  const s = parseResponse(statusResponseSchema, res.json, 'status');
  const view = { ...s, tee: att.tee, attestedManifestHash: att.manifestHash };
  if (f.json === true) process.stdout.write(`${JSON.stringify(view)}\n`);
  else {
    const head = att.simulated ? 'SIMULATED coordinator' : `coordinator (TEE ${att.tee.toUpperCase()})`;
    process.stdout.write(`${head} ${att.url}\n${renderTable(Object.entries(view).map(([field, value]) => ({ field, value })))}\n`);
  }
  return EXIT.OK;
}
