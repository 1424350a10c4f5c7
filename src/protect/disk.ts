import { link, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ioError } from './errors.js';

/**
 * Durable file operations of a volume directory (the POSIX recipe also used by
 * src/store/atomic_file.ts, which this layer may not import): write a temp file, fsync it,
 * then link (create-only) or rename (replace) it into place, then fsync the directory so
 * the name itself survives a crash. Temp names carry TEMP_MARK and are removed on open.
 */
export const TEMP_MARK = '.tmp-';
let tempCounter = 0;

export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    throw ioError('fsync of directory', dir, e);
  } finally {
    await fh?.close();
  }
}

/** Creates `path` with `bytes` (fails if it exists) and fsyncs the file, not the directory. */
export async function writeNewFile(path: string, bytes: Uint8Array): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh?.close();
    fh = undefined;
    await rm(path, { force: true });
    throw ioError('writing', path, e);
  } finally {
    await fh?.close();
  }
}

async function writeTemp(path: string, bytes: Uint8Array): Promise<string> {
  const temp = `${path}${TEMP_MARK}${process.pid}-${++tempCounter}`;
  await writeNewFile(temp, bytes);
  return temp;
}

/**
 * Creates `path` atomically and durably only if it does not exist yet: link(2) fails with
 * EEXIST atomically, so two writers can never both create the same name. Returns false
 * (leaving the existing file alone) when it exists.
 */
export async function createFileExclusive(path: string, bytes: Uint8Array): Promise<boolean> {
  const temp = await writeTemp(path, bytes);
  try {
    await link(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError('linking temp file to', path, e);
  } finally {
    await rm(temp, { force: true });
  }
  await syncDir(dirname(path));
  return true;
}

/** Replaces (or creates) `path` atomically and durably. */
export async function replaceFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = await writeTemp(path, bytes);
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw ioError('renaming temp file over', path, e);
  }
  await syncDir(dirname(path));
}

/** The file's bytes, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('reading', path, e);
  }
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError('listing', dir, e);
  }
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('creating directory', dir, e);
  }
}

export async function removeFile(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (e) {
    throw ioError('removing', path, e);
  }
}

