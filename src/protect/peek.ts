import { join } from 'node:path';
import { readIfExists } from './disk.js';
import { peekManifestVolumeId } from './manifest_file.js';
import { manifestName, manifestVersions } from './volume_dir.js';

/**
 * The volume id the newest manifest in `dir` claims, or undefined when there is none.
 * UNAUTHENTICATED: a default for tools (`cloister protect verify` without --volume-id),
 * never a substitute for knowing which volume a workload should open.
 */
export async function peekVolumeId(dir: string): Promise<string | undefined> {
  const [newest] = await manifestVersions(dir);
  if (newest === undefined) return undefined;
  const bytes = await readIfExists(join(dir, manifestName(newest)));
  return bytes === undefined ? undefined : peekManifestVolumeId(bytes);
}
