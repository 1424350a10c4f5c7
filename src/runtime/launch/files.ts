import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, normalize } from 'node:path';
import { replaceFileDurably } from '../durable_file.js';
import { LaunchError } from './errors.js';

/**
 * Writes the files a workload receives (keys, certificates, secrets) so that:
 * - only the owner can read them: files 0600, directories the launcher creates 0700 (set with
 *   chmod after creation, so a permissive umask cannot widen them; directories that already
 *   exist are left as they are: they belong to the image);
 * - a reader never sees a partial file, and a renewal replaces a certificate in one step:
 *   a unique temp file beside the target (O_EXCL), fsync, rename over, fsync the directory.
 * Paths come from the attested coordinator, which validated them with the manifest; they are
 * checked once more here (absolute, normalized) because a file write is where a bad path hurts.
 */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export async function writeWorkloadFiles(files: ReadonlyMap<string, Uint8Array>): Promise<string[]> {
  const written: string[] = [];
  for (const [path, data] of files) {
    await writeOwnerOnlyFile(path, data);
    written.push(path);
  }
  return written;
}

export async function writeOwnerOnlyFile(path: string, data: Uint8Array): Promise<void> {
  if (!isAbsolute(path) || normalize(path) !== path || path.endsWith('/')) {
    throw new LaunchError('LAUNCH_FILES_UNWRITABLE', `refusing to write '${path}': not an absolute, normalized file path`, { detail: { path } });
  }
  const dir = dirname(path);
  try {
    await makeDirs(dir);
    await replaceFileDurably(path, data, FILE_MODE);
  } catch (cause) {
    if (cause instanceof LaunchError) throw cause;
    const errno = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new LaunchError(
      'LAUNCH_FILES_UNWRITABLE',
      `cannot write workload file '${path}' (${errno}); check that the launcher's user may create it (e.g. a writable volume at ${dir})`,
      { cause, detail: { path, errno } },
    );
  }
}

/** Creates the missing ancestors of `dir`, top-down, each 0700. */
async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (await exists(d)) break;
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode: DIR_MODE });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // created meanwhile by another writer: fine
      continue;
    }
    await chmod(d, DIR_MODE);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
