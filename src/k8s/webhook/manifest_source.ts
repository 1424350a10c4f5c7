import { readFile } from 'node:fs/promises';
import type { Random } from '../../common/clock.js';
import { isCloisterError } from '../../common/errors.js';
import { manifestHash, parseManifest, type Manifest } from '../../manifest/index.js';
import { attestCoordinator, endpoint, manifestGetResponseSchema, parseCoordinatorUrl, parseResponse, request } from '../../runtime/index.js';
import { K8sError } from '../errors.js';

/**
 * Where the webhook gets the manifest it enforces. The webhook is not a trust anchor (the
 * launcher attests the coordinator and checks the manifest hash itself), but injecting a
 * wrong hash would only make pods fail later, so the hash is always recomputed from the
 * text, and a coordinator's manifest is taken only after attesting the coordinator, exactly
 * as `cloister manifest get` does.
 */
export interface LoadedManifest {
  readonly manifest: Manifest;
  readonly manifestHash: string;
}

export async function loadManifestFile(path: string): Promise<LoadedManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new K8sError('K8S_MANIFEST_UNAVAILABLE', `cannot read manifest '${path}' (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause });
  }
  const manifest = parseManifest(text);
  return { manifest, manifestHash: manifestHash(manifest) };
}

export interface AttestedManifestOptions {
  readonly simulation: boolean;
  readonly trustedPlatformKeys?: readonly string[];
  /** the local simulated platform directory (simulation mode; default as the launcher's) */
  readonly platformDir?: string;
  readonly expectedManifestHash?: string;
  readonly now: Date;
  readonly random: Random;
  readonly timeoutMs: number;
}

export async function fetchAttestedManifest(coordinatorUrl: string, o: AttestedManifestOptions): Promise<LoadedManifest> {
  try {
    const att = await attestCoordinator(coordinatorUrl, {
      simulation: o.simulation,
      ...(o.trustedPlatformKeys === undefined ? {} : { trustedPlatformKeys: o.trustedPlatformKeys }),
      ...(o.expectedManifestHash === undefined ? {} : { expectedManifestHash: o.expectedManifestHash }),
      ...(o.platformDir === undefined ? {} : { platformDir: o.platformDir }),
      now: o.now,
      random: o.random,
      timeoutMs: o.timeoutMs,
    });
    if (att.manifestHash === null) throw new K8sError('K8S_MANIFEST_UNAVAILABLE', `coordinator ${coordinatorUrl} has no manifest yet`);
    const res = await request('GET', endpoint(parseCoordinatorUrl(coordinatorUrl), '/api/v1/manifest'), undefined, { ca: att.rootCaPem, timeoutMs: o.timeoutMs });
    const body = parseResponse(manifestGetResponseSchema, res.json, 'manifest get');
    const manifest = parseManifest(body.manifest);
    const got = manifestHash(manifest);
    if (got !== att.manifestHash) {
      throw new K8sError('K8S_MANIFEST_UNAVAILABLE', `manifest from ${coordinatorUrl}: hashes to ${got}, want the attested ${att.manifestHash}`, {
        detail: { got, want: att.manifestHash },
      });
    }
    return { manifest, manifestHash: got };
  } catch (e) {
    if (e instanceof K8sError) throw e;
    const why = isCloisterError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    throw new K8sError('K8S_MANIFEST_UNAVAILABLE', `cannot get the attested manifest from ${coordinatorUrl}: ${why}`, { cause: e });
  }
}

/**
 * Keeps the latest manifest loaded by `load`, re-loading every `intervalMs` (a ConfigMap
 * volume changes in place when the manifest is updated; a coordinator's manifest changes
 * with manifest updates). A failed reload keeps the last good manifest: the launcher, not
 * the webhook, decides whether a hash is still the attested one.
 */
export interface ManifestPoller {
  current(): LoadedManifest | undefined;
  refresh(): Promise<void>;
  stop(): void;
}

export function pollManifest(
  load: () => Promise<LoadedManifest>,
  o: { intervalMs: number; onError?: (e: unknown) => void; onChange?: (m: LoadedManifest) => void },
): ManifestPoller {
  let latest: LoadedManifest | undefined;
  let running: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    running ??= load()
      .then((m) => {
        if (m.manifestHash !== latest?.manifestHash) o.onChange?.(m);
        latest = m;
      })
      .catch((e: unknown) => o.onError?.(e))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void refresh(), o.intervalMs);
  timer.unref();
  return { current: () => latest, refresh, stop: () => clearInterval(timer) };
}
