import type { Clock } from '../common/clock.js';
import { CollateralError } from './errors.js';

/**
 * One GET with a deadline and retries, shared by the PCS/PCCS and KDS clients.
 *
 * - `timeoutMs` bounds the whole call (every attempt and every backoff sleep), so a caller
 *   waits at most that long whatever the server does.
 * - Network errors, 5xx and 429 are retried with exponential backoff and full-range jitter
 *   (delay = min(maxDelay, base * 2^attempt) * (0.5 + jitter()/2)); a Retry-After header
 *   (seconds or HTTP-date) replaces the computed delay. 4xx is never retried: asking again
 *   for an unknown FMSPC or hwid will not change the answer, and KDS rate-limits.
 * - `sleep` and `jitter` are injectable so tests run instantly and deterministically.
 * Retry shape after go-tdx-guest verify/trust/trust.go RetryHTTPSGetter (wrap, don't mix in).
 */
export interface HttpOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs: number;
  /** Retries after the first attempt (default 3). */
  readonly retries?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Returns a number in [0, 1); default Math.random (jitter is not a security property). */
  readonly jitter?: () => number;
  /** Needed only to honour a Retry-After given as an HTTP-date; without it such a header is ignored. */
  readonly clock?: Clock;
  /** Largest body accepted (default 16 MiB; real TCB infos are ~10 KiB, CRLs < 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Called once per logical request, before the first attempt (progress lines). */
  readonly onRequest?: (url: string) => void;
}

export interface HttpResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

const DEFAULTS = { retries: 3, baseDelayMs: 250, maxDelayMs: 10_000, maxBodyBytes: 16 * 1024 * 1024 };

export function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in ms: delta-seconds, or an HTTP-date (needs a clock); undefined when absent/unusable. */
export function parseRetryAfter(value: string | null, clock: Clock | undefined): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at) || clock === undefined) return undefined;
  return Math.max(0, at - clock.now().getTime());
}

function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

async function readBody(res: Response, limit: number, url: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  const tooBig = (): never => {
    throw new CollateralError('COLLATERAL_RESPONSE_MALFORMED', `response body from ${url} exceeds ${limit} bytes`, { detail: { url } });
  };
  if (declared > limit) tooBig();
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) tooBig();
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export async function httpGet(url: URL, o: HttpOptions, signal?: AbortSignal): Promise<HttpResponse> {
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? defaultSleep;
  const jitter = o.jitter ?? Math.random;
  const retries = o.retries ?? DEFAULTS.retries;
  const base = o.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const maxDelay = o.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const href = url.href;
  const deadline = AbortSignal.timeout(o.timeoutMs);
  const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
  const startedAt = performance.now();
  const detail = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ url: href, ...extra });

  const stopped = (cause: unknown): CollateralError =>
    signal?.aborted
      ? new CollateralError('COLLATERAL_ABORTED', `request to ${href} was aborted by the caller`, { detail: detail(), cause })
      : new CollateralError('COLLATERAL_TIMEOUT', `no complete answer from ${href} within ${o.timeoutMs} ms`, { detail: detail({ timeoutMs: o.timeoutMs }), cause });

  type Outcome = { ok: HttpResponse } | { retry: CollateralError; retryAfterMs: number | undefined };
  const attemptOnce = async (attempt: number): Promise<Outcome> => {
    let res: Response;
    let body: Uint8Array | undefined;
    try {
      res = await doFetch(href, { method: 'GET', signal: combined, redirect: 'follow' });
      if (res.status >= 200 && res.status < 300) body = await readBody(res, o.maxBodyBytes ?? DEFAULTS.maxBodyBytes, href);
      else await res.body?.cancel().catch(() => undefined);
    } catch (e) {
      if (e instanceof CollateralError) throw e;
      if (combined.aborted) throw stopped(e);
      const reason = networkReason(e);
      // DNS and connection failures usually mean no network: say what to do instead
      const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH/.test(reason)
        ? ' (no network? use a local PCCS with --pccs URL, or verify with an offline bundle: --collateral bundle.json)'
        : '';
      const retry = new CollateralError('COLLATERAL_FETCH_FAILED', `cannot fetch ${href}: ${reason}${offline}`, {
        detail: detail({ reason, attempts: attempt + 1 }),
        cause: e,
      });
      return { retry, retryAfterMs: undefined };
    }
    if (body !== undefined) return { ok: { url: href, status: res.status, headers: res.headers, body } };
    if (res.status === 404) {
      throw new CollateralError('COLLATERAL_NOT_FOUND', `${href} answered 404 Not Found`, { detail: detail({ status: 404 }) });
    }
    const failure = new CollateralError('COLLATERAL_HTTP_STATUS', `${href} answered HTTP ${res.status}${attempt > 0 ? ` (attempt ${attempt + 1})` : ''}`, {
      detail: detail({ status: res.status, attempts: attempt + 1 }),
    });
    if (res.status < 500 && res.status !== 429) throw failure;
    return { retry: failure, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), o.clock) };
  };

  o.onRequest?.(href);
  for (let attempt = 0; ; attempt++) {
    const outcome = await attemptOnce(attempt);
    if ('ok' in outcome) return outcome.ok;
    if (attempt >= retries) throw outcome.retry;
    const delay = outcome.retryAfterMs ?? Math.min(maxDelay, base * 2 ** attempt) * (0.5 + jitter() / 2);
    const remaining = o.timeoutMs - (performance.now() - startedAt);
    if (delay >= remaining) throw outcome.retry; // sleeping would outlive the deadline: report the real cause now
    try {
      await sleep(delay, combined);
    } catch (e) {
      throw stopped(e);
    }
  }
}
