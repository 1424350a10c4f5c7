import { ProtectError } from './errors.js';

/**
 * What may name a volume and a file inside it. File paths are logical names (they never
 * reach the file system: objects on disk have random names), but `cloister protect unseal`
 * writes them under an output directory, so they are kept to relative POSIX paths that
 * cannot climb out of it.
 */
export const MAX_PATH_BYTES = 1024;
const VOLUME_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
// C0 controls, DEL and C1 controls: never useful in a file name, and confusing in messages
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// a lone surrogate would not survive the UTF-8 round trip through the manifest
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkVolumeId(volumeId: string): string {
  if (typeof volumeId !== 'string' || !VOLUME_ID.test(volumeId)) {
    throw new ProtectError('VOLUME_ID_INVALID', `volume id ${JSON.stringify(volumeId)} is not 1-128 characters of [A-Za-z0-9._:/-] starting with a letter or digit`);
  }
  return volumeId;
}

export function checkVolumePath(path: string): string {
  const bad = (why: string): never => {
    throw new ProtectError('VOLUME_PATH_INVALID', `volume path ${JSON.stringify(path)} ${why}`, { detail: { path } });
  };
  if (typeof path !== 'string' || path.length === 0) bad('is empty');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) bad(`is longer than ${MAX_PATH_BYTES} bytes`);
  if (CONTROL.test(path)) bad('contains a control character');
  if (path.startsWith('/')) bad('is absolute (want a path relative to the volume root)');
  if (path.includes('\\')) bad("contains '\\' (use '/' as the separator)");
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') bad("has an empty, '.' or '..' segment");
  }
  if (LONE_SURROGATE.test(path)) bad('is not well-formed Unicode (lone surrogate)');
  return path;
}

export function checkVolumeKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.byteLength !== 32) {
    const got = key instanceof Uint8Array ? `${key.byteLength} bytes` : typeof key;
    throw new ProtectError('VOLUME_KEY_INVALID', `volume key: got ${got}, want 32 bytes`);
  }
  return key;
}
