import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkVolumeId, fileVersionAuthority, openProtectedVolume, peekVolumeId, type ProtectedVolume,
} from '../../protect/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';

interface VolumeFlags {
  keyFile: string;
  volumeId?: string;
  state?: string;
  json?: boolean;
}

/**
 * `cloister protect seal|unseal|verify`: protected volumes (docs/protected-volumes.md) from
 * the command line. The version authority is a local state file (default: beside the volume,
 * `<volume-dir>.versions.json`); it must live where whoever can restore the volume cannot
 * restore it too, or rollback protection is void. `out` receives what goes to stdout (tests
 * capture it; the default writes to process.stdout).
 */
export function registerProtectCommands(
  program: Command,
  run: (fn: () => Promise<number>) => Promise<void>,
  out: (text: string) => void = (text) => void process.stdout.write(text),
): void {
  const protect = program.command('protect').description('encrypted, authenticated, rollback-protected volumes (AES-256-GCM)');
  const common = (c: Command): Command =>
    c
      .requiredOption('--key-file <file>', 'the 32-byte volume key: raw bytes, 64 hex digits or base64')
      .option('--volume-id <id>', 'volume id bound into every file (default: the id the volume already carries)')
      .option('--state <file>', 'version-authority state file (default: <volume-dir>.versions.json)');

  common(protect.command('seal').description('encrypt a directory tree into a volume (the volume then mirrors it) and commit a new version'))
    .argument('<plain-dir>', 'directory whose regular files to protect')
    .argument('<volume-dir>', 'protected volume directory (created if missing)')
    .action((plainDir: string, volumeDir: string, f: VolumeFlags) => run(async () => sealCommand(plainDir, volumeDir, f, out)));

  common(protect.command('unseal').description('verify a volume and write its files, decrypted, under a directory (mode 0600)'))
    .argument('<volume-dir>', 'protected volume directory')
    .argument('<out-dir>', 'directory to write the plaintext files to (created if missing)')
    .action((volumeDir: string, outDir: string, f: VolumeFlags) => run(async () => unsealCommand(volumeDir, outDir, f, out)));

  common(protect.command('verify').description('check a volume: key, freshness against the state file, every file authenticated'))
    .argument('<volume-dir>', 'protected volume directory')
    .option('--json', 'print one JSON object')
    .action((volumeDir: string, f: VolumeFlags) => run(async () => verifyCommand(volumeDir, f, out)));
}

/** Raw 32 bytes, or 64 hex digits, or base64 of 32 bytes (surrounding whitespace ignored). */
export function parseVolumeKey(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.byteLength === 32) return bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  throw new UsageError('USAGE_ERROR', `key file '${file}' holds ${bytes.byteLength} bytes: want 32 raw bytes, 64 hex digits or base64 of 32 bytes`);
}

async function openFromFlags(volumeDir: string, f: VolumeFlags, mode: 'write' | 'inspect'): Promise<{ volume: ProtectedVolume; statePath: string }> {
  const key = parseVolumeKey(readInputFile(f.keyFile, 'key file'), f.keyFile);
  const statePath = resolve(f.state ?? `${resolve(volumeDir).replace(/\/+$/, '')}.versions.json`);
  if (mode === 'inspect') {
    if (!existsSync(volumeDir)) throw new UsageError('INPUT_UNREADABLE', `volume directory '${volumeDir}' does not exist`);
    // without the state file freshness cannot be judged: say so instead of reporting "ahead of authority"
    if (!existsSync(statePath)) throw new UsageError('INPUT_UNREADABLE', `state file '${statePath}' does not exist (give --state)`);
  }
  const volumeId = f.volumeId ?? (await peekVolumeId(volumeDir));
  if (volumeId === undefined) throw new UsageError('USAGE_ERROR', `'${volumeDir}' holds no volume yet: give --volume-id`);
  try {
    checkVolumeId(volumeId);
  } catch (e) {
    throw new UsageError('USAGE_ERROR', (e as Error).message);
  }
  const volume = await openProtectedVolume({ dir: volumeDir, key, volumeId, versions: fileVersionAuthority(statePath), readOnly: mode === 'inspect' });
  return { volume, statePath };
}

/** Regular files under `root` as volume paths ('/'-separated, relative), sorted; anything else is refused. */
async function plainFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let names: string[];
  try {
    names = (await readdir(join(root, rel))).sort();
  } catch (cause) {
    throw new UsageError('INPUT_UNREADABLE', `cannot read directory '${join(root, rel)}' (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause });
  }
  for (const name of names) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(join(root, path));
    if (st.isDirectory()) out.push(...(await plainFiles(root, path)));
    else if (st.isFile()) out.push(path);
    else throw new UsageError('USAGE_ERROR', `'${join(root, path)}' is not a regular file or directory (symlinks and devices are not sealed)`);
  }
  return out;
}

async function sealCommand(plainDir: string, volumeDir: string, f: VolumeFlags, out: (text: string) => void): Promise<number> {
  const files = await plainFiles(plainDir);
  const { volume, statePath } = await openFromFlags(volumeDir, f, 'write');
  const keep = new Set(files);
  for (const path of files) await volume.writeFile(path, new Uint8Array(await readFile(join(plainDir, path))));
  for (const path of volume.list()) if (!keep.has(path)) await volume.remove(path);
  const s = await volume.commit();
  out(`sealed ${plural(files.length, 'file')} into volume ${volume.volumeId}: version ${s.version}, state ${s.hash} (recorded in ${statePath})\n`);
  return EXIT.OK;
}

async function unsealCommand(volumeDir: string, outDir: string, f: VolumeFlags, out: (text: string) => void): Promise<number> {
  const { volume } = await openFromFlags(volumeDir, f, 'inspect');
  const paths = volume.list();
  for (const path of paths) {
    const data = await volume.readFile(path); // every file authenticates before any is written out
    const target = join(outDir, path); // volume paths have no '..' or absolute segments (checkVolumePath)
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFile(target, data, { mode: 0o600 });
    } catch (cause) {
      const why = (cause as NodeJS.ErrnoException).code ?? 'error';
      throw new UsageError('USAGE_ERROR', `cannot write '${target}' into the output directory '${outDir}' (${why}): is it a writable directory?`, { cause });
    }
  }
  const s = volume.state();
  out(`unsealed ${plural(paths.length, 'file')} of volume ${volume.volumeId} version ${s.version} into ${outDir}\n`);
  return EXIT.OK;
}

async function verifyCommand(volumeDir: string, f: VolumeFlags, out: (text: string) => void): Promise<number> {
  const { volume } = await openFromFlags(volumeDir, f, 'inspect');
  let bytes = 0;
  for (const path of volume.list()) bytes += (await volume.readFile(path)).byteLength;
  const s = volume.state();
  const files = volume.list().length;
  if (f.json) {
    out(`${JSON.stringify({ ok: true, volumeId: volume.volumeId, version: s.version, hash: s.hash, files, bytes, pendingCommit: volume.recovered })}\n`);
  } else {
    const pending = volume.recovered ? ' (an interrupted commit: the next open for writing records it)' : '';
    out(`ok: volume ${volume.volumeId} version ${s.version}${pending}, state ${s.hash}, ${plural(files, 'file')}, ${plural(bytes, 'byte')}\n`);
  }
  return EXIT.OK;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
