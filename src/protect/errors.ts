import { CloisterError } from '../common/errors.js';
import type { ProtectCode } from './codes.js';

/** Any failure of a protected volume: keys, paths, integrity, freshness, files. */
export class ProtectError extends CloisterError<ProtectCode> {}

/** Wraps a failed fs call as VOLUME_IO_FAILED with the errno code (never the raw Node error alone). */
export function ioError(what: string, path: string, cause: unknown): ProtectError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new ProtectError('VOLUME_IO_FAILED', `${what} ${path} failed (${errno})`, { cause, detail: { path, errno } });
}
