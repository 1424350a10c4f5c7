import { constantTimeEqual } from '../common/bytes.js';
import { RecoveryError } from './errors.js';
import { checkSameSplit, interpolate, type ShareSetInfo } from './shamir.js';
import { checkShareFields, decodeShare, shareDigest, type Share } from './share.js';
import { checkShareSetInfo } from './share_set_info.js';

export type RecoveryProgress =
  | { readonly status: 'collecting'; readonly have: number; readonly need: number; readonly accepted: readonly number[] }
  | { readonly status: 'complete'; readonly have: number; readonly need: number; readonly accepted: readonly number[]; readonly secret: Uint8Array };

/**
 * Collects decrypted shares from recovery-key holders until the threshold is reached. Pure: no
 * I/O, no clock. Each share is checked completely (syntax, same split, digest recorded for its
 * index, not seen before) BEFORE the session changes, and the accepted set is an immutable
 * snapshot replaced only when a share passes, so a wrong, duplicate, foreign or malformed share
 * is rejected with its code and leaves every earlier share as it was.
 */
export class RecoverySession {
  readonly info: ShareSetInfo;
  #accepted: ReadonlyMap<number, Share> = new Map();
  #secret: Uint8Array | undefined;

  constructor(info: ShareSetInfo) {
    checkShareSetInfo(info);
    this.info = info;
  }

  get progress(): RecoveryProgress {
    const accepted = [...this.#accepted.keys()].sort((a, b) => a - b);
    const base = { have: accepted.length, need: this.info.threshold, accepted };
    return this.#secret === undefined ? { status: 'collecting', ...base } : { status: 'complete', ...base, secret: new Uint8Array(this.#secret) };
  }

  /** Submits one decrypted share (object or v1 bytes); returns the progress after it. */
  submit(input: Share | Uint8Array): RecoveryProgress {
    if (this.#secret !== undefined) {
      throw new RecoveryError('RECOVERY_SESSION_COMPLETE', `recovery already reached its threshold of ${this.info.threshold}`);
    }
    const share = input instanceof Uint8Array ? decodeShare(input) : input;
    checkShareFields(share);
    checkSameSplit(this.info, share);
    const want = this.info.shareDigests[share.index - 1]!;
    const got = shareDigest(share);
    if (!constantTimeEqual(Buffer.from(got, 'hex'), Buffer.from(want, 'hex'))) {
      throw new RecoveryError('RECOVERY_SHARE_CORRUPT', `share ${share.index}: digest got ${got}, want ${want}`, { detail: { index: share.index } });
    }
    if (this.#accepted.has(share.index)) {
      throw new RecoveryError('RECOVERY_SHARE_DUPLICATE', `share ${share.index} was already accepted`, { detail: { index: share.index } });
    }
    // A private copy, so the caller reusing its buffer cannot change an accepted share.
    const copy: Share = Object.freeze({ ...share, value: new Uint8Array(share.value) });
    const next = new Map(this.#accepted).set(share.index, copy);
    if (next.size >= this.info.threshold) {
      // Throws RECOVERY_SECRET_CHECK_FAILED without touching the session; with every share
      // matching its recorded digest this only happens if the info itself was forged.
      this.#secret = interpolate([...next.values()]);
    }
    this.#accepted = next;
    return this.progress;
  }
}
