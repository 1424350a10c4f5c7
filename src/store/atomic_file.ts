import { link, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './errors.js';

/**
 * Crash-safe file writes, the POSIX recipe: write a temp file in the same directory, fsync
 * it, then rename (replace) or link (create only) it to its name, then fsync the directory
 * so the new name itself is durable. A crash at any point leaves either the old file or the
 * new one under the name, plus at most a temp file that the next open removes.
 */
const TEMP_MARK = '.tmp-';
let tempCounter = 0;

function ioError(what: string, path: string, cause: unknown): StoreError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new StoreError('STORE_IO_FAILED', `${what} ${path} failed (${code})`, { cause, detail: { path, errno: code } });
}

/** fsync of a directory, which makes renames and links inside it durable (Linux ext4/xfs semantics). */
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

async function writeTemp(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const temp = join(dir, `${name}${TEMP_MARK}${process.pid}-${++tempCounter}`);
  let fh;
  try {
    fh = await open(temp, 'wx', 0o600);
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh?.close();
    await rm(temp, { force: true });
    throw ioError('writing temp file', temp, e);
  }
  await fh.close();
  return temp;
}

/** Replaces (or creates) dir/name with `bytes`, atomically and durably. */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const temp = await writeTemp(dir, name, bytes);
  try {
    await rename(temp, join(dir, name));
  } catch (e) {
    await rm(temp, { force: true });
    throw ioError('renaming temp file over', join(dir, name), e);
  }
  await syncDir(dir);
}

/**
 * Creates dir/name with `bytes` only if it does not exist yet (link(2) fails with EEXIST
 * atomically), durably. Returns false, and leaves the existing file untouched, when it exists.
 */
export async function createFileExclusive(dir: string, name: string, bytes: Uint8Array): Promise<boolean> {
  const temp = await writeTemp(dir, name, bytes);
  try {
    await link(temp, join(dir, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError('linking temp file to', join(dir, name), e);
  } finally {
    await rm(temp, { force: true });
  }
  await syncDir(dir);
  return true;
}

/** Removes temp files a crashed writer left for `name` (they never hold committed state). */
export async function removeTempFiles(dir: string, name: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(`${name}${TEMP_MARK}`)) await rm(join(dir, entry), { force: true });
  }
}

export { ioError };
