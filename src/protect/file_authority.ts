import { z } from 'zod';
import { checkAdvance, type VersionAuthority, type VolumeState } from './authority.js';
import { readIfExists, replaceFileAtomic } from './disk.js';
import { ProtectError } from './errors.js';

/**
 * A version authority kept in one local JSON file, for `cloister protect` and for workloads
 * without a coordinator. It protects against rollback only as far as the file itself is out
 * of the reach of whoever can restore the volume (an operator who can restore both restores
 * both: docs/protected-volumes.md). Updates are atomic (temp + fsync + rename + directory
 * fsync) and serialized within this process; two processes must not share one file.
 *
 *   { "format": "cloister/volume-versions/v1", "volumes": { "<id>": { "version": 3, "hash": "<hex>" } } }
 */
export const VERSIONS_FORMAT = 'cloister/volume-versions/v1';

const fileSchema = z.strictObject({
  format: z.literal(VERSIONS_FORMAT),
  volumes: z.record(
    z.string(),
    z.strictObject({ version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), hash: z.string().regex(/^[0-9a-f]{64}$/) }),
  ),
});
type VersionsFile = z.infer<typeof fileSchema>;

// one queue per file path, so two authorities over the same file in this process cannot interleave
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(path) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const settled = next.catch(() => undefined);
  queues.set(path, settled);
  void settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return next;
}

async function load(path: string): Promise<VersionsFile> {
  const bytes = await readIfExists(path);
  if (bytes === undefined) return { format: VERSIONS_FORMAT, volumes: {} };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new ProtectError('VOLUME_AUTHORITY_CORRUPT', `version file ${path}: not JSON`, { cause });
  }
  const r = fileSchema.safeParse(value);
  if (!r.success) {
    throw new ProtectError('VOLUME_AUTHORITY_CORRUPT', `version file ${path}: unexpected shape at '${r.error.issues[0]?.path.join('.') ?? ''}'`);
  }
  return r.data;
}

export function fileVersionAuthority(path: string): VersionAuthority {
  return {
    get: (volumeId) =>
      serialized(path, async (): Promise<VolumeState | undefined> => {
        const { volumes } = await load(path);
        const s = Object.hasOwn(volumes, volumeId) ? volumes[volumeId] : undefined;
        return s === undefined ? undefined : { version: s.version, hash: s.hash };
      }),
    advance: (volumeId, expectedVersion, next) =>
      serialized(path, async () => {
        const file = await load(path);
        const current = Object.hasOwn(file.volumes, volumeId) ? file.volumes[volumeId] : undefined;
        checkAdvance(volumeId, current, expectedVersion, next);
        const volumes = { ...file.volumes, [volumeId]: { version: next.version, hash: next.hash } };
        const text = `${JSON.stringify({ format: VERSIONS_FORMAT, volumes }, null, 2)}\n`;
        await replaceFileAtomic(path, new Uint8Array(Buffer.from(text, 'utf8')));
      }),
  };
}
