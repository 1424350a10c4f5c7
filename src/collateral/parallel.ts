import type { CollateralItem, CollateralProvider, CollateralRequest } from './types.js';

/**
 * Fetches several items at once; the first failure aborts the rest (so a dead service fails
 * the whole gathering promptly instead of waiting out every other request's retries) and is
 * the error reported. The caller's signal still aborts everything.
 */
export async function getAll(provider: CollateralProvider, reqs: readonly CollateralRequest[], signal?: AbortSignal): Promise<CollateralItem[]> {
  const ctl = new AbortController();
  const combined = signal === undefined ? ctl.signal : AbortSignal.any([signal, ctl.signal]);
  let first: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    reqs.map((r) =>
      provider.get(r, combined).catch((error: unknown) => {
        if (first === undefined) {
          first = { error };
          ctl.abort();
        }
        throw error;
      }),
    ),
  );
  if (first !== undefined) throw first.error;
  return results.map((r) => (r as PromiseFulfilledResult<CollateralItem>).value);
}
