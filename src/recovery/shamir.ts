import type { Random } from '../common/clock.js';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import { RecoveryError } from './errors.js';
import { gfEval, gfInterpolateAtZero } from './gf256.js';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES, checkShareFields, secretCheck, shareDigest, type Share } from './share.js';

/**
 * Shamir secret sharing (Shamir 1979, "How to share a secret") byte by byte over GF(2^8): each
 * secret byte is the constant term of its own random polynomial of degree k-1, and share i is
 * every polynomial evaluated at x = i. Any k shares determine the polynomials; k-1 shares are
 * consistent with every possible secret.
 */

/**
 * What is public about one split: kept in plaintext beside the encrypted shares, so a
 * coordinator in recovery (which cannot open its sealed state) can check each submitted share
 * before accepting it. Forging it gains nothing: the recovered secret must still open the state.
 */
export interface ShareSetInfo {
  readonly setId: string;
  readonly threshold: number;
  readonly total: number;
  readonly check: string;
  /** shareDigest of share i at [i - 1]. */
  readonly shareDigests: readonly string[];
}

export function splitSecret(secret: Uint8Array, n: number, k: number, random: Random): { info: ShareSetInfo; shares: Share[] } {
  const bad = (what: string): never => {
    throw new RecoveryError('RECOVERY_PARAMS_INVALID', `split: ${what}`);
  };
  if (!Number.isInteger(n) || n < 1 || n > 255) bad(`share count n: got ${n}, want 1..255`);
  if (!Number.isInteger(k) || k < 1 || k > n) bad(`threshold k: got ${k}, want 1..${n}`);
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    bad(`secret: got ${secret?.length} bytes, want ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES}`);
  }
  const setIdBytes = random.bytes(16);
  const coefficients = random.bytes((k - 1) * secret.length);
  if (setIdBytes.length !== 16 || coefficients.length !== (k - 1) * secret.length) bad('random source returned the wrong number of bytes');
  const setId = toHex(setIdBytes);
  const check = secretCheck(setId, k, n, secret);
  const values = Array.from({ length: n }, () => new Uint8Array(secret.length));
  const poly = new Uint8Array(k);
  for (let b = 0; b < secret.length; b++) {
    poly[0] = secret[b]!;
    for (let c = 1; c < k; c++) poly[c] = coefficients[(c - 1) * secret.length + b]!;
    for (let x = 1; x <= n; x++) values[x - 1]![b] = gfEval(poly, x);
  }
  poly.fill(0);
  const shares: Share[] = values.map((value, i) => Object.freeze({ setId, threshold: k, total: n, index: i + 1, check, value }));
  const info: ShareSetInfo = Object.freeze({ setId, threshold: k, total: n, check, shareDigests: Object.freeze(shares.map(shareDigest)) });
  return { info, shares };
}

/**
 * Combines shares of one split: they must agree on set id, threshold, count and check, have
 * distinct indices and number at least the threshold. The first `threshold` shares are used and
 * the result must reproduce the check value, otherwise RECOVERY_SECRET_CHECK_FAILED.
 */
export function combineShares(shares: readonly Share[]): Uint8Array {
  if (shares.length === 0) throw new RecoveryError('RECOVERY_SHARES_INSUFFICIENT', 'combine: got 0 shares');
  const first = shares[0]!;
  const seen = new Set<number>();
  for (const s of shares) {
    checkShareFields(s);
    checkSameSplit(first, s);
    if (seen.has(s.index)) throw new RecoveryError('RECOVERY_SHARE_DUPLICATE', `combine: share index ${s.index} given twice`, { detail: { index: s.index } });
    seen.add(s.index);
  }
  if (shares.length < first.threshold) {
    throw new RecoveryError('RECOVERY_SHARES_INSUFFICIENT', `combine: got ${shares.length} distinct shares, want ${first.threshold}`);
  }
  return interpolate(shares.slice(0, first.threshold));
}

/** Interpolates exactly `threshold` checked shares of one split and verifies the check value. */
export function interpolate(shares: readonly Share[]): Uint8Array {
  const first = shares[0]!;
  const xs = shares.map((s) => s.index);
  const secret = new Uint8Array(first.value.length);
  const ys = new Array<number>(shares.length);
  for (let b = 0; b < secret.length; b++) {
    for (let i = 0; i < shares.length; i++) ys[i] = shares[i]!.value[b]!;
    secret[b] = gfInterpolateAtZero(xs, ys);
  }
  const got = secretCheck(first.setId, first.threshold, first.total, secret);
  if (!constantTimeEqual(Buffer.from(got, 'hex'), Buffer.from(first.check, 'hex'))) {
    secret.fill(0);
    throw new RecoveryError('RECOVERY_SECRET_CHECK_FAILED', `combine: shares ${xs.join(', ')} give a secret whose check is ${got}, want ${first.check}`);
  }
  return secret;
}

/** RECOVERY_SHARE_FOREIGN / _INCONSISTENT unless `s` belongs to the same split as `ref`. */
export function checkSameSplit(ref: Pick<Share, 'setId' | 'threshold' | 'total' | 'check'> & { readonly value?: Uint8Array }, s: Share): void {
  if (s.setId !== ref.setId) {
    throw new RecoveryError('RECOVERY_SHARE_FOREIGN', `share ${s.index}: set id got ${s.setId}, want ${ref.setId}`, { detail: { index: s.index } });
  }
  for (const f of ['threshold', 'total', 'check'] as const) {
    if (s[f] !== ref[f]) {
      throw new RecoveryError('RECOVERY_SHARE_INCONSISTENT', `share ${s.index}: ${f} got ${s[f]}, want ${ref[f]}`, { detail: { index: s.index, field: f } });
    }
  }
  if (ref.value !== undefined && s.value.length !== ref.value.length) {
    throw new RecoveryError('RECOVERY_SHARE_INCONSISTENT', `share ${s.index}: value length differs from the other shares`, { detail: { index: s.index, field: 'value' } });
  }
}
