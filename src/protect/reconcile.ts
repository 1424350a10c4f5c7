import type { VolumeState } from './authority.js';
import { ProtectError } from './errors.js';
import { GENESIS_HASH, type VolumeManifest } from './manifest.js';

/**
 * The freshness rule applied on open: the newest authenticated manifest on disk against the
 * version authority's latest committed state. Pure, so every branch has a test.
 *
 * - no manifest, authority empty          -> a new, empty volume (version 0)
 * - no manifest, authority at N           -> VOLUME_MANIFEST_MISSING (the volume was deleted or replaced)
 * - manifest older than N                 -> VOLUME_ROLLBACK_DETECTED
 * - manifest N with the authority's hash  -> current
 * - manifest N with another hash          -> VOLUME_FORK_DETECTED
 * - manifest N+1 whose previousHash is the authority's hash -> roll forward: a commit made the
 *   manifest durable and crashed before the authority recorded it (commit order: manifest,
 *   then authority). Only a holder of the key can produce a manifest that chains to the
 *   committed hash, i.e. this volume's own writer, and its caller never saw that commit
 *   succeed; the authority is advanced to N+1 before the volume is used.
 * - manifest N+1 that does not chain to N -> VOLUME_FORK_DETECTED
 * - manifest N+2 or newer                 -> VOLUME_AHEAD_OF_AUTHORITY (commits never run ahead by two)
 */
export type Reconciled =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'current' }
  | { readonly kind: 'roll-forward'; readonly from: number; readonly to: VolumeState };

export function reconcile(volumeId: string, authority: VolumeState | undefined, newest: { manifest: VolumeManifest; hash: string } | undefined): Reconciled {
  const committed = authority?.version ?? 0;
  const committedHash = authority?.hash ?? GENESIS_HASH;
  const detail = (extra: Record<string, unknown>): { detail: Record<string, unknown> } => ({
    detail: { volumeId, authorityVersion: committed, authorityHash: committedHash, ...extra },
  });
  if (newest === undefined) {
    if (committed === 0) return { kind: 'fresh' };
    throw new ProtectError('VOLUME_MANIFEST_MISSING', `volume ${volumeId}: no manifest on disk, want version ${committed} (hash ${committedHash})`, detail({}));
  }
  const { version, previousHash } = newest.manifest;
  const got = detail({ diskVersion: version, diskHash: newest.hash });
  if (version < committed) {
    throw new ProtectError('VOLUME_ROLLBACK_DETECTED', `volume ${volumeId}: manifest on disk is version ${version}, want ${committed} (an older copy was restored)`, got);
  }
  if (version === committed) {
    if (newest.hash === committedHash) return { kind: 'current' };
    throw new ProtectError('VOLUME_FORK_DETECTED', `volume ${volumeId}: version ${version} has hash ${newest.hash}, want ${committedHash}`, got);
  }
  if (version === committed + 1) {
    if (previousHash === committedHash) return { kind: 'roll-forward', from: committed, to: { version, hash: newest.hash } };
    throw new ProtectError(
      'VOLUME_FORK_DETECTED',
      `volume ${volumeId}: uncommitted version ${version} follows hash ${previousHash}, want ${committedHash}`,
      got,
    );
  }
  throw new ProtectError('VOLUME_AHEAD_OF_AUTHORITY', `volume ${volumeId}: manifest on disk is version ${version}, authority is at ${committed}`, got);
}
