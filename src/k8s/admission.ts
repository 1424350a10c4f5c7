import { K8sError } from './errors.js';
import { mutatePod, type ConfigSource, type MutationResult } from './pod_mutation.js';
import type { RegistryClient } from './registry/client.js';
import { isDigestPinned } from './registry/reference.js';

/**
 * The webhook's decision for one pod, with the one input mutatePod cannot compute itself: the
 * entrypoint of an image when the workload container gives no command. mutatePod runs first
 * (all its checks, and the cloister.dev/command annotation, take precedence); only when it
 * reports K8S_COMMAND_UNKNOWN is the registry asked, and then only for an image pinned by
 * digest (what the kubelet pulls is then exactly what was read), or for any image when the
 * operator accepted that a tag can move between admission and pull (--resolve-entrypoints).
 * A failed lookup denies the pod with K8S_ENTRYPOINT_UNRESOLVED, naming the annotation as the
 * way out.
 */
export interface EntrypointResolver {
  readonly registry: RegistryClient;
  /** also resolve images referenced by tag */
  readonly resolveTags: boolean;
}

export async function admitPod(input: unknown, source: ConfigSource, resolver?: EntrypointResolver): Promise<MutationResult> {
  try {
    return mutatePod(input, source);
  } catch (e) {
    if (!(e instanceof K8sError) || e.code !== 'K8S_COMMAND_UNKNOWN' || resolver === undefined) throw e;
    const image = e.detail?.image;
    if (typeof image !== 'string' || !(resolver.resolveTags || isDigestPinned(image))) throw e;
    let imageEntrypoint;
    try {
      imageEntrypoint = await resolver.registry.imageEntrypoint(image);
    } catch (cause) {
      if (!(cause instanceof K8sError)) throw cause;
      throw new K8sError(
        'K8S_ENTRYPOINT_UNRESOLVED',
        `container '${String(e.detail?.container)}' gives no command and the entrypoint of '${image}' could not be read (${cause.message}): set the cloister.dev/command annotation to the entrypoint as a JSON array`,
        { cause, detail: { image, ...(cause.detail ?? {}) } },
      );
    }
    return mutatePod(input, source, { imageEntrypoint });
  }
}
