import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { TeeError } from './errors.js';

/**
 * The simulated TEE's measurement of a program: SHA-384 over a sorted, length-framed list of
 * the files under a path (docs/simulated-tee.md):
 *
 *   measurement = SHA-384( "cloister/measure/v1\0" || u32be(count) || entry_1 || ... || entry_count )
 *   entry       = kind (u8: 'f' file, 'l' symlink) || u32be(len(path)) || path
 *                 || flags (u8: 1 = executable, files only) || u32be(len(payload)) || payload
 *   payload     = SHA-384(file contents) for files, the link target bytes for symlinks
 *
 * Paths are the raw bytes of the names relative to the measured directory, joined by '/',
 * and entries are sorted by those bytes, so the measurement does not depend on directory
 * order, and the measured directory's own name does not count. A single file measures as a
 * one-entry list with the empty path (its name does not count either: it can be installed
 * under any name). Symlinks inside the tree are recorded as links and never followed (what
 * they point to outside the tree is not measured; a link into the tree is covered by the
 * target's own entry); the path given itself may be a link and is followed. Directories
 * contribute only through their contents (an empty directory is not measured). Devices,
 * FIFOs and sockets are refused: their "contents" are not a program.
 */
export const MEASURE_LABEL = 'cloister/measure/v1\0';

export interface MeasureProgress {
  readonly files: number;
  readonly bytes: number;
}

export interface MeasureResult {
  /** lowercase hex SHA-384 */
  readonly measurement: string;
  readonly files: number;
  readonly links: number;
  readonly bytes: number;
}

interface Entry {
  readonly path: Buffer;
  readonly kind: 'f' | 'l';
  readonly executable: boolean;
  readonly payload: Buffer;
}

/** The measurement (lowercase hex SHA-384) of a file or directory tree. */
export async function measurePath(path: string, opts: { onProgress?: (p: MeasureProgress) => void } = {}): Promise<string> {
  return (await measurePathDetailed(path, opts)).measurement;
}

export async function measurePathDetailed(path: string, opts: { onProgress?: (p: MeasureProgress) => void } = {}): Promise<MeasureResult> {
  const root = Buffer.from(path);
  const st = await io(() => stat(root), root);
  const entries: Entry[] = [];
  const progress = { files: 0, bytes: 0 };
  const onFile = (size: number): void => {
    progress.files += 1;
    progress.bytes += size;
    opts.onProgress?.({ ...progress });
  };
  if (st.isFile()) {
    entries.push({ path: Buffer.alloc(0), kind: 'f', executable: (st.mode & 0o111) !== 0, payload: await digestFile(root, st.size) });
    onFile(st.size);
  } else if (st.isDirectory()) {
    await walk(root, Buffer.alloc(0), entries, onFile);
  } else {
    throw unsupported(root);
  }
  entries.sort((a, b) => Buffer.compare(a.path, b.path));
  return {
    measurement: encodeMeasurement(entries),
    files: entries.filter((e) => e.kind === 'f').length,
    links: entries.filter((e) => e.kind === 'l').length,
    bytes: progress.bytes,
  };
}

async function walk(abs: Buffer, rel: Buffer, out: Entry[], onFile: (size: number) => void): Promise<void> {
  const names = await io(() => readdir(abs, { encoding: 'buffer' }), abs);
  for (const name of names) {
    const childAbs = Buffer.concat([abs, SLASH, name]);
    const childRel = rel.length === 0 ? name : Buffer.concat([rel, SLASH, name]);
    const st = await io(() => lstat(childAbs), childAbs);
    if (st.isDirectory()) await walk(childAbs, childRel, out, onFile);
    else if (st.isSymbolicLink()) {
      out.push({ path: childRel, kind: 'l', executable: false, payload: await io(() => readlink(childAbs, { encoding: 'buffer' }), childAbs) });
    } else if (st.isFile()) {
      out.push({ path: childRel, kind: 'f', executable: (st.mode & 0o111) !== 0, payload: await digestFile(childAbs, st.size) });
      onFile(st.size);
    } else throw unsupported(childAbs);
  }
}

const SLASH = Buffer.from('/');
const STREAM_THRESHOLD = 4 * 1024 * 1024;

async function digestFile(path: Buffer, size: number): Promise<Buffer> {
  if (size < STREAM_THRESHOLD) return createHash('sha384').update(await io(() => readFile(path), path)).digest();
  return io(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        const h = createHash('sha384');
        createReadStream(path)
          .on('data', (chunk) => h.update(chunk))
          .on('error', reject)
          .on('end', () => resolve(h.digest()));
      }),
    path,
  );
}

function encodeMeasurement(entries: readonly Entry[]): string {
  const h = createHash('sha384');
  h.update(MEASURE_LABEL, 'latin1');
  h.update(u32(entries.length));
  for (const e of entries) {
    h.update(e.kind, 'latin1');
    h.update(u32(e.path.length));
    h.update(e.path);
    h.update(Uint8Array.of(e.executable ? 1 : 0));
    h.update(u32(e.payload.length));
    h.update(e.payload);
  }
  return h.digest('hex');
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

async function io<T>(fn: () => Promise<T>, path: Buffer): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new TeeError('MEASURE_PATH_UNREADABLE', `cannot measure '${path.toString()}': ${code}`, { cause, detail: { path: path.toString(), reason: code } });
  }
}

function unsupported(path: Buffer): TeeError {
  return new TeeError('MEASURE_FILE_UNSUPPORTED', `cannot measure '${path.toString()}': not a regular file, directory or symlink`, {
    detail: { path: path.toString() },
  });
}
