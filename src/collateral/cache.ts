import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../common/clock.js';
import { CollateralError } from './errors.js';
import type { CollateralItem, CollateralProvider, CollateralRequest } from './types.js';

/**
 * An on-disk cache in front of any provider (KDS rate-limits; PCS is slow and sometimes down).
 *
 * - Key: SHA-256 of the canonical request (sorted keys, FMSPC/hwid lowercased).
 * - An entry is served while clock.now() < its expiry: the item's validUntil (earliest
 *   nextUpdate/notAfter), or storedAt + maxAgeMs for items without one.
 * - Expired entries are refetched. If the refetch fails, the expired entry is NOT served
 *   (fail closed) and the fetch error is thrown, unless `serveStale: true` was set
 *   explicitly; a stale item is then marked `stale: true`.
 * - Writes are atomic (temp file, fsync, rename), so a crash never leaves half an entry.
 * - Concurrent identical requests share one fetch (after jose src/jwks/remote.ts, which
 *   merges concurrent reloads). The shared fetch runs without any one caller's signal, so
 *   one caller giving up does not fail the others; it is still bounded by the provider's
 *   own timeout. Each caller's signal ends only its own wait.
 * A corrupt or foreign entry file counts as a miss (it is our own cache; refetching is the
 * safe answer), never as an error.
 */
export interface CacheOptions {
  readonly dir: string;
  readonly clock: Clock;
  /** Lifetime of items that carry no validity (default 24 h). */
  readonly maxAgeMs?: number;
  /** Serve an expired entry when refetching it fails. Off by default: fail closed. */
  readonly serveStale?: boolean;
  /** Called when an item is served from disk (progress lines). */
  readonly onHit?: (req: CollateralRequest, item: CollateralItem) => void;
}

const FORMAT = 'cloister-collateral-cache/v1';
const DAY_MS = 24 * 60 * 60 * 1000;

interface Entry {
  format: typeof FORMAT;
  key: string;
  storedAt: string;
  expiresAt: string;
  item: { kind: string; bytes: string; text?: string; signature?: string; issuerChainPem?: string; validUntil?: string; source: string };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => {
        const v = (value as Record<string, unknown>)[k];
        return [k, (k === 'fmspc' || k === 'hwid') && typeof v === 'string' ? v.toLowerCase() : canonical(v)];
      }),
  );
}

/** The cache key of a request: hex SHA-256 of its canonical JSON. */
export function cacheKey(req: CollateralRequest): string {
  return createHash('sha256').update(JSON.stringify(canonical(req))).digest('hex');
}

function toEntry(key: string, item: CollateralItem, storedAt: Date, expiresAt: Date): Entry {
  const source = item.source.startsWith('cache:') ? item.source.slice(6) : item.source;
  return {
    format: FORMAT,
    key,
    storedAt: storedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    item: {
      kind: item.kind,
      bytes: Buffer.from(item.bytes).toString('base64'),
      ...(item.text === undefined ? {} : { text: item.text }),
      ...(item.signature === undefined ? {} : { signature: item.signature }),
      ...(item.issuerChainPem === undefined ? {} : { issuerChainPem: item.issuerChainPem }),
      ...(item.validUntil === undefined ? {} : { validUntil: item.validUntil.toISOString() }),
      source,
    },
  };
}

function fromEntry(e: Entry, stale: boolean): CollateralItem {
  const i = e.item;
  return {
    kind: i.kind as CollateralItem['kind'],
    bytes: new Uint8Array(Buffer.from(i.bytes, 'base64')),
    ...(i.text === undefined ? {} : { text: i.text }),
    ...(i.signature === undefined ? {} : { signature: i.signature }),
    ...(i.issuerChainPem === undefined ? {} : { issuerChainPem: i.issuerChainPem }),
    ...(i.validUntil === undefined ? {} : { validUntil: new Date(i.validUntil) }),
    source: `cache:${i.source}`,
    ...(stale ? { stale: true } : {}),
  };
}

async function readEntry(file: string, key: string, kind: string): Promise<Entry | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const e = JSON.parse(text) as Entry;
    const ok = e.format === FORMAT && e.key === key && e.item?.kind === kind && typeof e.item.bytes === 'string' && !Number.isNaN(Date.parse(e.expiresAt));
    return ok ? e : undefined;
  } catch {
    return undefined;
  }
}

let tmpCounter = 0;

async function writeAtomic(dir: string, file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (cause) {
    await unlink(tmp).catch(() => undefined);
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new CollateralError('COLLATERAL_CACHE_IO', `cannot write collateral cache entry in '${dir}': ${reason}`, { detail: { dir, reason }, cause });
  }
}

function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

function aborted(signal: AbortSignal): CollateralError {
  return new CollateralError('COLLATERAL_ABORTED', 'collateral request was aborted by the caller', { cause: signal.reason });
}

export function withCache(provider: CollateralProvider, o: CacheOptions): CollateralProvider {
  const maxAgeMs = o.maxAgeMs ?? DAY_MS;
  const inflight = new Map<string, Promise<CollateralItem>>();

  const load = async (req: CollateralRequest, key: string): Promise<CollateralItem> => {
    const file = join(o.dir, `${req.kind}-${key.slice(0, 32)}.json`);
    const entry = await readEntry(file, key, req.kind);
    if (entry !== undefined && o.clock.now().getTime() < Date.parse(entry.expiresAt)) {
      const item = fromEntry(entry, false);
      o.onHit?.(req, item);
      return item;
    }
    let item: CollateralItem;
    try {
      item = await provider.get(req);
    } catch (e) {
      if (entry !== undefined && o.serveStale === true) return fromEntry(entry, true);
      throw e;
    }
    const storedAt = o.clock.now();
    const expiresAt = item.validUntil ?? new Date(storedAt.getTime() + maxAgeMs);
    await writeAtomic(o.dir, file, `${JSON.stringify(toEntry(key, item, storedAt, expiresAt))}\n`);
    return item;
  };

  return {
    get(req: CollateralRequest, signal?: AbortSignal): Promise<CollateralItem> {
      const key = cacheKey(req);
      let shared = inflight.get(key);
      if (shared === undefined) {
        shared = load(req, key).finally(() => inflight.delete(key));
        inflight.set(key, shared);
      }
      return raceSignal(shared, signal);
    },
  };
}
