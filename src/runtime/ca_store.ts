import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { replaceFileDurably } from './durable_file.js';
import { ClientError } from './errors.js';
import { parseCoordinatorUrl } from './https.js';

/**
 * Where verified coordinator roots are kept: $CLOISTER_HOME (default ~/.cloister) +
 * /coordinators/<host>_<port>/root-ca.pem. Only roots that passed attestCoordinator are saved
 * here; later commands pin them (mTLS, activation) without re-attesting.
 */
export const CLOISTER_HOME_ENV = 'CLOISTER_HOME';
export const ROOT_CA_FILE = 'root-ca.pem';

type Env = Readonly<Record<string, string | undefined>>;

export function cloisterHome(env: Env = process.env): string {
  const fromEnv = env[CLOISTER_HOME_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.cloister');
}

/** The file of one coordinator's root; the host is reduced to [a-z0-9.-] so it is one safe path segment. */
export function coordinatorCaPath(coordinatorUrl: string, env: Env = process.env): string {
  const url = parseCoordinatorUrl(coordinatorUrl);
  const host = url.hostname.toLowerCase().replace(/[^a-z0-9.-]/g, '_').replace(/^\.+/, '_');
  const port = url.port === '' ? '443' : url.port;
  return join(cloisterHome(env), 'coordinators', `${host}_${port}`, ROOT_CA_FILE);
}

/** Saves a verified root (mode 0600, atomically); returns the path. */
export async function saveCoordinatorRoot(coordinatorUrl: string, rootCaPem: string, env: Env = process.env): Promise<string> {
  const path = coordinatorCaPath(coordinatorUrl, env);
  await writeFileAtomic(path, rootCaPem);
  return path;
}

/** The saved root of a coordinator, or undefined when none was saved. */
export async function loadCoordinatorRoot(coordinatorUrl: string, env: Env = process.env): Promise<string | undefined> {
  const path = coordinatorCaPath(coordinatorUrl, env);
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClientError('CA_STORE_UNUSABLE', `cannot read saved coordinator root '${path}' (${errno(cause)})`, { cause });
  }
}

/**
 * Writes `data` to `path` so readers see the old or the new file, never a partial one: a
 * unique temp file in the same directory (0600, O_EXCL), fsync, rename over, fsync the
 * directory. Parent directories are created 0700.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await replaceFileDurably(path, data, mode);
  } catch (cause) {
    throw new ClientError('CA_STORE_UNUSABLE', `cannot write '${path}' (${errno(cause)})`, { cause, detail: { path } });
  }
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}
