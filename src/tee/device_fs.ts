import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { TeeError } from './errors.js';

/**
 * The few file operations the device providers use. Injected so tests can put a fake kernel
 * behind a temp directory (configfs attributes change when written; a plain directory does not).
 * Implementations throw Node errno errors (`code: 'ENOENT'`, ...).
 */
export interface DeviceFs {
  readFile(path: string): Promise<Uint8Array>;
  /** One write(2) of the whole buffer: configfs and Gramine's pseudo-files expect that. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

export const nodeDeviceFs: DeviceFs = {
  readFile: async (p) => new Uint8Array(await readFile(p)),
  writeFile: (p, d) => writeFile(p, d),
  mkdir: async (p) => {
    await mkdir(p);
  },
  rmdir: (p) => rmdir(p),
  exists: async (p) => {
    try {
      await stat(p);
      return true;
    } catch {
      return false;
    }
  },
};

/** Runs a device operation; ENOENT becomes TEE_DEVICE_MISSING (with `hint`), anything else TEE_DEVICE_IO. */
export async function deviceOp<T>(what: string, path: string, fn: () => Promise<T>, hint = ''): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof TeeError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') {
      throw new TeeError('TEE_DEVICE_MISSING', `${what}: '${path}' does not exist${hint === '' ? '' : ` (${hint})`}`, { cause, detail: { path } });
    }
    throw new TeeError('TEE_DEVICE_IO', `${what}: '${path}' failed with ${code}`, { cause, detail: { path, reason: code } });
  }
}

/** Runs calls one at a time: a device file pair (write report data, read evidence) is not reentrant. */
export function serialized<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return (...args: A) => {
    const run = tail.then(() => fn(...args));
    tail = run.catch(() => undefined);
    return run;
  };
}

export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8').trim();
}
