import { K8sError } from '../errors.js';

/**
 * One registry's HTTP side (OCI distribution-spec, spec.md "Pulling"): GETs with the caller's
 * Accept header, a byte limit, a shared deadline, and anonymous bearer tokens. A 401 carrying
 * `WWW-Authenticate: Bearer realm=...,service=...,scope=...` is answered the way Docker's
 * token protocol describes (distribution docs/spec/auth/token.md): GET realm?service=&scope=
 * without credentials, read `token` (or `access_token`), retry once with it. Credentials are
 * never sent: the webhook has no pull secrets, so private images need cloister.dev/command.
 */
export interface RegistryHttpOptions {
  /** 'http' only for hosts the operator named (tests, in-cluster mirrors); everything else https */
  readonly scheme: 'https' | 'http';
  readonly signal: AbortSignal;
  readonly fetch: typeof fetch;
  /** tokens by `host|scope`, shared across requests (anonymous tokens are not secrets of ours) */
  readonly tokens: Map<string, { token: string; expiresAt: number }>;
  readonly now: () => number;
}

export interface RegistryResponse {
  readonly contentType: string;
  readonly body: Buffer;
  readonly dockerContentDigest?: string;
}

/** Anonymous tokens are short-lived (Docker Hub: 300 s); a missing expires_in means 60 s (token.md). */
const DEFAULT_TOKEN_LIFETIME_S = 60;

export function unresolved(message: string, detail: Record<string, unknown> = {}): K8sError {
  return new K8sError('K8S_ENTRYPOINT_UNRESOLVED', message, { detail });
}

export async function registryGet(host: string, path: string, accept: string, maxBytes: number, o: RegistryHttpOptions): Promise<RegistryResponse> {
  const url = `${o.scheme}://${host}${path}`;
  const scopeKey = (scope: string) => `${host}|${scope}`;
  const defaultScope = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(path)?.[1];
  const cached = defaultScope === undefined ? undefined : o.tokens.get(scopeKey(`repository:${defaultScope}:pull`));
  let res = await send(url, accept, cached !== undefined && cached.expiresAt > o.now() ? cached.token : undefined, o);
  if (res.status === 401) {
    const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    if (challenge === undefined) throw unresolved(`${url}: the registry requires credentials (no anonymous bearer-token challenge)`, { status: 401 });
    const scope = challenge.scope ?? `repository:${defaultScope ?? ''}:pull`;
    const token = await fetchToken(challenge.realm, challenge.service, scope, o);
    o.tokens.set(scopeKey(scope), token);
    res = await send(url, accept, token.token, o);
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw unresolved(`${url}: anonymous pull is not allowed (HTTP ${res.status} with a token): a private image needs the cloister.dev/command annotation`, { status: res.status });
    }
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    const why = res.status === 404 ? 'not found' : `HTTP ${res.status}`;
    throw unresolved(`${url}: ${why}`, { status: res.status });
  }
  const body = await readLimited(res, maxBytes, url);
  const digest = res.headers.get('docker-content-digest') ?? undefined;
  return { contentType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(), body, ...(digest === undefined ? {} : { dockerContentDigest: digest }) };
}

async function send(url: string, accept: string, token: string | undefined, o: RegistryHttpOptions): Promise<Response> {
  try {
    // redirects (blob storage) are followed; fetch drops Authorization on a cross-origin hop
    return await o.fetch(url, { headers: { accept, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, signal: o.signal, redirect: 'follow' });
  } catch (cause) {
    throw unresolved(`${url}: ${describeFetchError(cause, o.signal)}`, { reason: o.signal.aborted ? 'timeout' : 'network' });
  }
}

async function fetchToken(realm: string, service: string | undefined, scope: string, o: RegistryHttpOptions): Promise<{ token: string; expiresAt: number }> {
  let u: URL;
  try {
    u = new URL(realm);
  } catch {
    throw unresolved(`the registry's token realm '${realm.slice(0, 200)}' is not a URL`);
  }
  if (u.protocol !== 'https:' && !(o.scheme === 'http' && u.protocol === 'http:')) throw unresolved(`the registry's token realm ${u.origin} is not https`);
  if (service !== undefined) u.searchParams.set('service', service);
  u.searchParams.set('scope', scope);
  const res = await send(u.toString(), 'application/json', undefined, o);
  if (res.status !== 200) {
    await res.body?.cancel();
    throw unresolved(`token request to ${u.origin}${u.pathname}: HTTP ${res.status}`, { status: res.status });
  }
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse((await readLimited(res, 64 * 1024, u.toString())).toString('utf8')) as typeof json;
  } catch (e) {
    if (e instanceof K8sError) throw e;
    throw unresolved(`token response from ${u.origin} is not JSON`);
  }
  const token = typeof json.token === 'string' ? json.token : json.access_token;
  if (typeof token !== 'string' || token.length === 0) throw unresolved(`token response from ${u.origin} has no token`);
  const lifetime = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  return { token, expiresAt: o.now() + lifetime * 1000 };
}

/** `Bearer realm="...",service="...",scope="..."` (RFC 6750 auth-params, quoted or token values). */
export function parseBearerChallenge(header: string | null): { realm: string; service?: string; scope?: string } | undefined {
  if (header === null) return undefined;
  const m = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[1]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[p[1]!.toLowerCase()] = p[2] ?? p[3]!;
  if (params.realm === undefined) return undefined;
  return { realm: params.realm, ...(params.service === undefined ? {} : { service: params.service }), ...(params.scope === undefined ? {} : { scope: params.scope }) };
}

async function readLimited(res: Response, maxBytes: number, url: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw unresolved(`${url}: ${declared} bytes is more than the ${maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body ?? []) {
      total += (chunk as Uint8Array).length;
      if (total > maxBytes) throw unresolved(`${url}: more than the ${maxBytes} bytes allowed`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (e) {
    if (e instanceof K8sError) throw e;
    throw unresolved(`${url}: ${describeFetchError(e, undefined)}`, { reason: 'network' });
  }
  return Buffer.concat(chunks);
}

function describeFetchError(e: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted === true || (e as { name?: string }).name === 'TimeoutError' || (e as { name?: string }).name === 'AbortError') return 'timed out';
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? 'request failed';
}
