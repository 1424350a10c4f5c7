import type { Clock } from '../../common/clock.js';
import { LaunchError } from './errors.js';

/**
 * Keeps the instance certificate fresh while the program runs: at 2/3 of each certificate's
 * lifetime (measured from when it was obtained, so clock skew with the coordinator does not
 * matter) `renew` re-activates with the same instance id and rewrites the files. A failed
 * renewal is logged as one line and retried: every third of the remaining lifetime (at least
 * `minRetryMs`), and every `maxRetryMs` once the certificate has expired; the program keeps
 * running either way (stopping it would turn a coordinator outage into a workload outage;
 * peers refuse the expired certificate on their own).
 */
export interface RenewalOptions {
  /** when the current certificate was obtained, and when it expires */
  readonly obtainedAt: Date;
  readonly expiresAt: Date;
  /** re-activates and rewrites the files; returns the new certificate's expiry */
  readonly renew: () => Promise<{ readonly expiresAt: Date }>;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly fraction?: number;
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
}

export interface RenewalHandle {
  /** stops the timer and waits for a renewal in flight (so no file is written after stop resolves) */
  stop(): Promise<void>;
  /** how many renewals succeeded */
  count(): number;
  /** renews now instead of at the scheduled time (the manifest changed); no-op while one is in flight */
  renewNow(): void;
}

export const RENEW_AT_FRACTION = 2 / 3;

/** Milliseconds from `now` until the renewal point of a certificate obtained at `obtainedAt`. */
export function renewalDelayMs(obtainedAt: Date, expiresAt: Date, now: Date, fraction = RENEW_AT_FRACTION): number {
  const lifetime = expiresAt.getTime() - obtainedAt.getTime();
  return Math.max(0, obtainedAt.getTime() + lifetime * fraction - now.getTime());
}

export function startRenewal(o: RenewalOptions): RenewalHandle {
  const fraction = o.fraction ?? RENEW_AT_FRACTION;
  const minRetry = o.minRetryMs ?? 1000;
  const maxRetry = o.maxRetryMs ?? 60_000;
  let expiresAt = o.expiresAt;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  let renewed = 0;

  const schedule = (ms: number): void => {
    if (!stopped) timer = setTimeout(attempt, ms);
  };
  const attempt = (): void => {
    timer = undefined;
    const started = o.clock.now();
    inFlight = o
      .renew()
      .then(
        (next) => {
          renewed += 1;
          expiresAt = next.expiresAt;
          schedule(renewalDelayMs(started, expiresAt, o.clock.now(), fraction));
        },
        (e: unknown) => {
          const remaining = expiresAt.getTime() - o.clock.now().getTime();
          const retry = remaining <= 0 ? maxRetry : Math.min(maxRetry, Math.max(minRetry, remaining / 3));
          const why = e instanceof Error ? e.message : String(e);
          const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'INTERNAL_ERROR';
          const err = new LaunchError(
            'LAUNCH_RENEWAL_FAILED',
            `certificate renewal failed (${code}: ${why}); ${remaining <= 0 ? 'the certificate has EXPIRED' : `it expires ${expiresAt.toISOString()}`}, retrying in ${Math.round(retry / 1000)} s`,
          );
          o.log(`error ${err.code}: ${err.message}`);
          schedule(retry);
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
  };
  schedule(renewalDelayMs(o.obtainedAt, expiresAt, o.clock.now(), fraction));

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
    count: () => renewed,
    renewNow() {
      if (stopped || inFlight !== undefined) return;
      if (timer !== undefined) clearTimeout(timer);
      attempt();
    },
  };
}
