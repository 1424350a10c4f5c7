import type { CodeTable } from '../common/errors.js';

/**
 * Stable codes of protected volumes (encrypted, authenticated, rollback-protected files).
 * Never rename; add new codes at the end. docs/protected-volumes.md explains each check.
 */
export const PROTECT_CODES = {
  VOLUME_KEY_INVALID: 'A protected-volume key is not exactly 32 bytes.',
  VOLUME_ID_INVALID: "A volume id is empty, longer than 128 characters, or uses characters other than letters, digits and '._:/-'.",
  VOLUME_PATH_INVALID: "A file path in a protected volume is empty, absolute, too long, has an empty, '.' or '..' segment, or a control character.",
  VOLUME_KEY_WRONG: "The volume manifest was written under another key (its key id does not match the key's).",
  VOLUME_ID_MISMATCH: 'The volume manifest on disk belongs to another volume id than the one opened.',
  VOLUME_TAMPERED: 'A volume manifest or file is malformed, truncated, modified, swapped or moved: its hash or AES-256-GCM tag does not verify.',
  VOLUME_FILE_MISSING: 'A file listed in the authenticated volume manifest is missing from the volume directory.',
  VOLUME_MANIFEST_MISSING: 'The version authority has a committed state for the volume but the directory holds no volume manifest.',
  VOLUME_ROLLBACK_DETECTED: "The volume on disk is older than the version authority's latest committed version (an old copy was restored).",
  VOLUME_FORK_DETECTED: "The volume on disk has the authority's version (or the next one) but a state that does not match or chain to the committed hash.",
  VOLUME_AHEAD_OF_AUTHORITY: 'The volume on disk is more than one version ahead of the version authority (the authority was reset or belongs elsewhere).',
  VOLUME_FILE_NOT_FOUND: 'readFile or remove named a path that the volume does not hold.',
  VOLUME_CONCURRENT_COMMIT: 'Another writer committed this volume first (the next manifest already exists or the authority moved on).',
  VOLUME_COMMIT_INCOMPLETE: 'A commit made its new manifest durable but could not advance the version authority; reopen the volume to roll forward.',
  VOLUME_IO_FAILED: 'Reading, writing, syncing, linking or removing a file of the volume directory failed.',
  VOLUME_AUTHORITY_CONFLICT: "The version authority's current version is not the one the caller expected, or the next version does not increase it.",
  VOLUME_AUTHORITY_CORRUPT: 'The version-authority state file is not valid JSON of the expected shape.',
  VOLUME_READ_ONLY: 'writeFile, remove or commit was called on a volume opened read-only.',
} as const satisfies CodeTable;

export type ProtectCode = keyof typeof PROTECT_CODES;
