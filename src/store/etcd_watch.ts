import type { Namespace } from 'etcd3';
import type { EtcdCallContext } from './etcd_call.js';
import { StoreError } from './errors.js';

/** One change under a watched prefix: a put (value set) or a delete (value undefined). */
export interface StoreChange {
  readonly key: string;
  readonly value: Uint8Array | undefined;
  /** The revision of the commit that made the change (etcd `mod_revision`; for deletes, the delete's). */
  readonly revision: bigint;
}

export interface WatchOptions {
  /**
   * First revision to report. Pass `revision + 1n` of a read to see every change after it
   * with no gap (etcd replays history from there, unless compacted: STORE_ETCD_WATCH_FAILED).
   * Default: changes after the watch starts.
   */
  readonly fromRevision?: bigint;
  /** Called once when the watch ends with an error; reconnects after member failures are silent. */
  readonly onError?: (e: StoreError) => void;
}

export interface StoreWatch {
  close(): Promise<void>;
}

/**
 * Watches every key under `prefix` of the state namespace. Changes arrive in revision order, one
 * call per key changed (a commit touching two keys gives two calls with the same revision). The
 * etcd3 watch manager reconnects to another member after a failure and resumes after the last
 * revision it delivered, so a member loss neither drops nor repeats changes.
 */
export async function watchState(
  state: Namespace,
  prefix: string,
  onChange: (change: StoreChange) => void,
  o: WatchOptions,
  ctx: EtcdCallContext,
): Promise<StoreWatch> {
  if (o.fromRevision !== undefined && (typeof o.fromRevision !== 'bigint' || o.fromRevision < 1n)) {
    throw new StoreError('STORE_COMMIT_INVALID', `watch fromRevision: got ${String(o.fromRevision)}, want a bigint >= 1n`);
  }
  let builder = state.watch().prefix(prefix);
  if (o.fromRevision !== undefined) builder = builder.startRevision(o.fromRevision.toString());
  const watcher = builder.watcher();
  let failed = false;
  const fail = (e: StoreError): void => {
    if (failed) return;
    failed = true;
    void watcher.cancel().catch(() => undefined);
    o.onError?.(e);
  };
  // etcd3 rethrows listener exceptions on a later tick (crashing the process); a throwing
  // onChange ends this watch instead.
  watcher.on('data', (res) => {
    if (failed) return;
    for (const ev of res.events) {
      const change: StoreChange = {
        key: ev.kv.key.toString('utf8'),
        value: ev.type === 'Put' ? new Uint8Array(ev.kv.value) : undefined,
        revision: BigInt(ev.kv.mod_revision),
      };
      try {
        onChange(change);
      } catch (e) {
        fail(new StoreError('STORE_ETCD_WATCH_FAILED', `watch ${JSON.stringify(prefix)}: onChange threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
        return;
      }
    }
  });
  watcher.on('error', (e) => fail(new StoreError('STORE_ETCD_WATCH_FAILED', `watch ${JSON.stringify(prefix)} ended: ${e.message}`, { cause: e })));

  // Wait until etcd confirms the watch, so changes committed after this resolves are seen.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        watcher.once('connected', () => resolve());
        watcher.once('error', reject);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StoreError('STORE_ETCD_UNAVAILABLE', `watch ${JSON.stringify(prefix)}: no member of ${ctx.endpoints.join(',')} confirmed it within ${ctx.timeoutMs} ms`)),
          ctx.timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    failed = true;
    await watcher.cancel().catch(() => undefined);
    if (e instanceof StoreError) throw e;
    throw new StoreError('STORE_ETCD_WATCH_FAILED', `watch ${JSON.stringify(prefix)} failed to start: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  return {
    async close() {
      failed = true;
      await watcher.cancel().catch(() => undefined);
    },
  };
}
