/**
 * In-process coordination of concurrent activations of one workload, so they do not fight
 * over the workload's counter record (every new instance changes it):
 *
 * - `reserve` hands out auto instance ids that no other in-flight activation holds, so the
 *   expensive part (secrets, certificate) runs concurrently on distinct ids, outside any lock;
 * - `exclusive` runs the short read-counter -> compare-and-swap section one at a time per
 *   workload. The section ends when the commit has been handed to the store, not when it is
 *   durable: a store that orders commits at call time (Store.sequencedCommits, e.g. the file
 *   store's group commit) lets the next activation read the new counter at once, and many
 *   commits share one fsync. With any other store the next holder may read an older counter
 *   and its compare-and-swap fails and retries: slower, never wrong, because the store's
 *   compare-and-swap, not this lock, is what keeps the state consistent (and what keeps
 *   several coordinator processes on one etcd consistent).
 */
export interface ActivationSlots {
  /** Marks `instanceId` of `workload` as in flight; false when another activation holds it. */
  reserve(workload: string, instanceId: string): boolean;
  release(workload: string, instanceId: string): void;
  /** Runs `fn` when no other `exclusive` section of `workload` runs. */
  exclusive<T>(workload: string, fn: () => Promise<T>): Promise<T>;
}

export function createActivationSlots(): ActivationSlots {
  const reserved = new Map<string, Set<string>>();
  const tails = new Map<string, Promise<unknown>>();
  return {
    reserve(workload, instanceId) {
      let s = reserved.get(workload);
      if (s === undefined) reserved.set(workload, (s = new Set()));
      if (s.has(instanceId)) return false;
      s.add(instanceId);
      return true;
    },
    release(workload, instanceId) {
      const s = reserved.get(workload);
      s?.delete(instanceId);
      if (s?.size === 0) reserved.delete(workload);
    },
    exclusive(workload, fn) {
      const prev = tails.get(workload) ?? Promise.resolve();
      const run = prev.then(fn);
      const tail = run.then(
        () => undefined,
        () => undefined,
      );
      tails.set(workload, tail);
      // forget an idle workload's chain so the map stays bounded by workloads in flight
      void tail.then(() => {
        if (tails.get(workload) === tail) tails.delete(workload);
      });
      return run;
    },
  };
}
