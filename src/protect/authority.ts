import { ProtectError } from './errors.js';
import { checkVolumeId } from './names.js';

/** A committed volume state: its version and the hash of its manifest (lowercase hex SHA-256). */
export interface VolumeState {
  readonly version: number;
  readonly hash: string;
}

/**
 * Who remembers each volume's latest committed state, outside the reach of whoever holds
 * the volume's files: the rollback protection is exactly as strong as this. The coordinator
 * keeps it for workloads (monotonic, in its sealed store); `fileVersionAuthority` and
 * `memoryVersionAuthority` are for local use and tests.
 *
 * `advance` is a compare-and-set: it succeeds only while the current version is
 * `expectedVersion` (0 when the volume is unknown) and `next.version` is greater; otherwise
 * it throws (VOLUME_AUTHORITY_CONFLICT for the implementations here).
 */
export interface VersionAuthority {
  get(volumeId: string): Promise<VolumeState | undefined>;
  advance(volumeId: string, expectedVersion: number, next: VolumeState): Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;

/** The checks every authority applies before it records `next` (shared by the implementations here). */
export function checkAdvance(volumeId: string, current: VolumeState | undefined, expectedVersion: number, next: VolumeState): void {
  checkVolumeId(volumeId);
  const have = current?.version ?? 0;
  if (have !== expectedVersion) {
    throw new ProtectError('VOLUME_AUTHORITY_CONFLICT', `volume ${volumeId}: authority version is ${have}, caller expected ${expectedVersion}`, {
      detail: { volumeId, got: have, want: expectedVersion },
    });
  }
  if (!Number.isSafeInteger(next.version) || next.version <= have) {
    throw new ProtectError('VOLUME_AUTHORITY_CONFLICT', `volume ${volumeId}: next version ${next.version} does not increase the current ${have}`, {
      detail: { volumeId, got: next.version, current: have },
    });
  }
  if (!HASH.test(next.hash)) {
    throw new ProtectError('VOLUME_AUTHORITY_CONFLICT', `volume ${volumeId}: next hash ${JSON.stringify(next.hash)} is not 64 lowercase hex digits`);
  }
}

/** An in-memory authority (tests, and processes whose volumes live as long as they do). */
export function memoryVersionAuthority(initial?: Iterable<readonly [string, VolumeState]>): VersionAuthority {
  const states = new Map<string, VolumeState>(initial);
  return {
    get: async (volumeId) => {
      const s = states.get(volumeId);
      return s === undefined ? undefined : { ...s };
    },
    advance: async (volumeId, expectedVersion, next) => {
      checkAdvance(volumeId, states.get(volumeId), expectedVersion, next);
      states.set(volumeId, { version: next.version, hash: next.hash });
    },
  };
}
