import { createHash } from 'node:crypto';
import { registryGet, unresolved, type RegistryHttpOptions } from './http.js';
import { parseImageReference, type ImageReference } from './reference.js';

/**
 * Reads an image's ENTRYPOINT and CMD from its registry (OCI distribution-spec "Pulling
 * manifests" and "Pulling blobs"; OCI image-spec image-index.md, manifest.md, config.md):
 * GET the manifest by digest or tag, and if it is an index (or a Docker manifest list) pick
 * the platform's entry and GET that manifest; then GET the config blob and read
 * `config.Entrypoint` / `config.Cmd`. Everything fetched by digest is checked against the
 * digest, so a registry (or a proxy) cannot hand back another image's configuration for a
 * pinned reference. Results are cached by the top-level manifest digest: a pinned image is
 * resolved once per webhook process.
 */
export interface ImageEntrypoint {
  /** `config.Entrypoint` (empty when the image has none) */
  readonly entrypoint: readonly string[];
  /** `config.Cmd` (empty when the image has none) */
  readonly cmd: readonly string[];
  /** digest of the manifest (or index) the reference named */
  readonly digest: string;
}

export interface RegistryClient {
  imageEntrypoint(image: string): Promise<ImageEntrypoint>;
}

export interface RegistryClientOptions {
  /** per image, for all requests together; the API server gives the webhook 10 s in all */
  readonly timeoutMs?: number;
  /** `host[:port]` reached over plain HTTP (tests, in-cluster mirrors); all others use HTTPS */
  readonly plainHttpHosts?: readonly string[];
  readonly platform?: { readonly os: string; readonly architecture: string };
  readonly cacheSize?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT = Object.values(MEDIA_TYPES).join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export function createRegistryClient(o: RegistryClientOptions = {}): RegistryClient {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const plain = new Set(o.plainHttpHosts ?? []);
  const platform = o.platform ?? { os: 'linux', architecture: 'amd64' };
  const cacheSize = o.cacheSize ?? 256;
  const cache = new Map<string, ImageEntrypoint>();
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  const remember = (e: ImageEntrypoint): ImageEntrypoint => {
    cache.delete(e.digest);
    cache.set(e.digest, e);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return e;
  };

  return {
    async imageEntrypoint(image: string): Promise<ImageEntrypoint> {
      const ref = parseImageReference(image);
      const hit = ref.digest === undefined ? undefined : cache.get(ref.digest);
      if (hit !== undefined) return hit;
      const http: RegistryHttpOptions = {
        scheme: plain.has(ref.registry) ? 'http' : 'https',
        signal: AbortSignal.timeout(timeoutMs),
        fetch: o.fetch ?? fetch,
        tokens,
        now: o.now ?? Date.now,
      };
      try {
        const top = await getManifest(ref, ref.digest ?? ref.tag!, http);
        const again = cache.get(top.digest);
        if (again !== undefined) return again;
        let manifest = top;
        if (top.mediaType === MEDIA_TYPES.ociIndex || top.mediaType === MEDIA_TYPES.dockerList) {
          manifest = await getManifest(ref, pickPlatform(top.json, platform, image), http);
        }
        const config = (manifest.json as { config?: { digest?: unknown } }).config;
        if (typeof config?.digest !== 'string') throw unresolved(`image '${image}': the manifest has no config digest`);
        const blob = await registryGet(ref.registry, `/v2/${ref.repository}/blobs/${config.digest}`, '*/*', MAX_CONFIG_BYTES, http);
        checkDigest(blob.body, config.digest, `config blob of '${image}'`);
        return remember({ ...readEntrypoint(blob.body, image), digest: top.digest });
      } catch (e) {
        if (http.signal.aborted) throw unresolved(`image '${image}': the registry did not answer within ${timeoutMs} ms`, { reason: 'timeout' });
        throw e;
      }
    },
  };
}

interface FetchedManifest {
  readonly mediaType: string;
  readonly json: unknown;
  readonly digest: string;
}

async function getManifest(ref: ImageReference, reference: string, http: RegistryHttpOptions): Promise<FetchedManifest> {
  const res = await registryGet(ref.registry, `/v2/${ref.repository}/manifests/${reference}`, ACCEPT, MAX_MANIFEST_BYTES, http);
  const what = `manifest ${ref.registry}/${ref.repository}:${reference}`;
  let json: { mediaType?: unknown; schemaVersion?: unknown };
  try {
    json = JSON.parse(res.body.toString('utf8')) as typeof json;
  } catch {
    throw unresolved(`${what} is not JSON`);
  }
  // the body's own mediaType wins over Content-Type (image-spec: it SHOULD be set; some proxies rewrite headers)
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : res.contentType;
  if (!(Object.values(MEDIA_TYPES) as string[]).includes(mediaType)) throw unresolved(`${what} has media type '${mediaType.slice(0, 100)}', not an OCI or Docker v2 manifest or index`);
  let digest: string;
  if (reference.includes(':')) digest = checkDigest(res.body, reference, what);
  else digest = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
  return { mediaType, json, digest };
}

function pickPlatform(index: unknown, want: { os: string; architecture: string }, image: string): string {
  const list = (index as { manifests?: unknown }).manifests;
  if (!Array.isArray(list)) throw unresolved(`image '${image}': the index has no manifests list`);
  const matches = list.filter((m: { platform?: { os?: unknown; architecture?: unknown }; digest?: unknown }) =>
    m?.platform?.os === want.os && m.platform.architecture === want.architecture && typeof m.digest === 'string');
  // prefer an entry without a variant (amd64 has none; arm64 may say v8)
  const chosen = (matches.find((m: { platform: { variant?: unknown } }) => m.platform.variant === undefined) ?? matches[0]) as { digest: string } | undefined;
  if (chosen === undefined) {
    const have = list.map((m: { platform?: { os?: unknown; architecture?: unknown } }) => `${String(m?.platform?.os)}/${String(m?.platform?.architecture)}`).join(', ');
    throw unresolved(`image '${image}' has no ${want.os}/${want.architecture} manifest (index has: ${have || 'none'})`, { reason: 'platform' });
  }
  return chosen.digest;
}

function checkDigest(body: Buffer, digest: string, what: string): string {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (m === null) throw unresolved(`${what}: unsupported digest '${digest.slice(0, 80)}'`);
  const got = createHash(m[1]!).update(body).digest('hex');
  if (got !== m[2]) throw unresolved(`${what}: content digest mismatch: got ${m[1]}:${got}, want ${digest}`, { got: `${m[1]}:${got}`, want: digest });
  return digest;
}

function readEntrypoint(body: Buffer, image: string): { entrypoint: string[]; cmd: string[] } {
  let json: { config?: { Entrypoint?: unknown; Cmd?: unknown } | null };
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json;
  } catch {
    throw unresolved(`image '${image}': the config blob is not JSON`);
  }
  const list = (v: unknown, field: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw unresolved(`image '${image}': config.${field} is not a list of strings`);
    return v as string[];
  };
  return { entrypoint: list(json.config?.Entrypoint, 'Entrypoint'), cmd: list(json.config?.Cmd, 'Cmd') };
}
