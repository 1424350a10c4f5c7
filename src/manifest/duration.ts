import { ManifestError } from './errors.js';

/**
 * Durations in manifests are strings like '90s', '90m', '24h', '7d' or '1h30m': whole numbers
 * with units in descending order (d, h, m, s), each at most once. No fractions, no months or
 * years (their length varies), no bare numbers (a unit-less `86400` is too easy to misread).
 * The manifest keeps the string as written (so its hash covers what the author wrote); consumers
 * convert with `durationMs`.
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const DURATION_RE = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,9})s)?$/;

/** Upper bound for any duration: 100 years, far beyond any sane certificate or lease. */
export const MAX_DURATION_MS = 100 * 365 * UNIT_MS.d;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function tryDurationMs(text: string): number | undefined {
  if (text.length === 0) return undefined;
  const m = DURATION_RE.exec(text);
  if (m === null) return undefined;
  const [, d, h, min, s] = m;
  const ms =
    Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(min ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s;
  if (ms <= 0 || ms > MAX_DURATION_MS) return undefined;
  return ms;
}

/** Milliseconds of a duration string; throws DURATION_INVALID otherwise. */
export function durationMs(text: string): number {
  const ms = tryDurationMs(text);
  if (ms === undefined) {
    throw new ManifestError(
      'DURATION_INVALID',
      `duration '${text}' is invalid: want whole numbers with units d, h, m, s in that order (e.g. '24h', '7d', '1h30m'), > 0 and <= 100 years`,
    );
  }
  return ms;
}
