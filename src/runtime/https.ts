import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { ClientError } from './errors.js';

/**
 * A small JSON-over-HTTPS client for the coordinator API (docs/api.md) on node:https.
 *
 * Trust: with a pinned `ca` (the coordinator's attested root CA) the TLS chain must verify to
 * that root and nothing else. The hostname check is skipped on purpose: the root is unique to
 * one coordinator, was learned through its attestation (which binds the root's key), and its
 * private key never leaves the coordinator's TEE, so any certificate under it IS that
 * coordinator whatever name it carries (coordinators are often reached by IP or through
 * port-forwards). Without a `ca` (only the first attestation request, before anything is
 * pinned) the connection accepts any certificate and hands back the peer chain, which the
 * caller MUST check against the root it then attests (attest_coordinator.ts).
 */
export interface RequestOptions {
  /** pinned root CA (PEM); absent = unauthenticated TLS, peer chain returned for checking */
  readonly ca?: string;
  /** client certificate chain (PEM, leaf first) and key for mTLS */
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly timeoutMs: number;
  /** also return the peer chain when a `ca` is pinned */
  readonly capturePeerChain?: boolean;
  /** response body limit in bytes (default 16 MiB: activation responses carry files) */
  readonly maxResponseBytes?: number;
  /** extra request headers (e.g. the Cloister-Signature of a signed request) */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly json: unknown;
  /** the server's `cloister-simulation: true` header (docs/api.md: every response in simulation mode) */
  readonly simulation: boolean;
  /** DER certificates the server presented, leaf first (always when no `ca` is pinned) */
  readonly peerCertificates?: readonly Uint8Array[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT';

const DEFAULT_MAX_RESPONSE = 16 * 1024 * 1024;

/** OpenSSL verification failures as node reports them: these mean "wrong server", not "no server". */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_CHAIN_TOO_LONG', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Checks a coordinator URL: https only, a host, no credentials. Returns it normalized (no trailing slash). */
export function parseCoordinatorUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClientError('COORDINATOR_URL_INVALID', `coordinator URL '${text}' is not a URL (want e.g. https://127.0.0.1:4433)`);
  }
  if (url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ClientError('COORDINATOR_URL_INVALID', `coordinator URL '${text}' must be https://HOST[:PORT][/PATH] without credentials, query or fragment`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** The URL of an API path under the coordinator base URL (a base path, e.g. behind a proxy, is kept). */
export function endpoint(base: URL, path: string): URL {
  const u = new URL(base.href);
  const [p, q] = path.split('?', 2) as [string, string | undefined];
  u.pathname = `${base.pathname.replace(/\/+$/, '')}${p}`;
  if (q !== undefined) u.search = `?${q}`;
  return u;
}

/**
 * Sends one request and parses the JSON answer. Problems (RFC 7807) and other non-2xx answers
 * throw COORDINATOR_REJECTED with `detail.code` = the coordinator's code; transport failures
 * throw COORDINATOR_UNREACHABLE, or COORDINATOR_TLS_MISMATCH when the pinned root rejected the
 * server's certificate.
 */
export function request(method: HttpMethod, target: URL | string, body: unknown, o: RequestOptions): Promise<JsonResponse> {
  const url = typeof target === 'string' ? new URL(target) : target;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  const pinned = o.ca !== undefined;
  const where = `${method} ${url.href}`;
  return new Promise<JsonResponse>((resolve, reject) => {
    const req = httpsRequest(url, {
      method,
      // a fresh connection per request: the peer chain we capture is this request's connection
      agent: false,
      ...(pinned ? { ca: o.ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false }),
      ...(o.clientCert === undefined ? {} : { cert: o.clientCert }),
      ...(o.clientKey === undefined ? {} : { key: o.clientKey }),
      headers: {
        accept: 'application/json, application/problem+json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
        ...o.headers,
      },
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), o.timeoutMs);
    const fail = (e: ClientError) => {
      clearTimeout(timer);
      reject(e);
    };
    req.on('error', (e: NodeJS.ErrnoException) => fail(transportError(e, where, pinned, o.timeoutMs)));
    req.on('response', (res) => {
      const peerCertificates = !pinned || o.capturePeerChain === true ? peerChain(res.socket as TLSSocket) : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > (o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE)) {
          req.destroy();
          fail(new ClientError('COORDINATOR_RESPONSE_INVALID', `${where}: response larger than ${o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE} bytes`));
        } else chunks.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) => fail(transportError(e, where, pinned, o.timeoutMs)));
      res.on('end', () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        const simulation = res.headers['cloister-simulation'] === 'true';
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        if (status < 200 || status > 299) return reject(rejected(where, status, json));
        const type = String(res.headers['content-type'] ?? '');
        if (json === undefined || !type.startsWith('application/json')) {
          return reject(new ClientError('COORDINATOR_RESPONSE_INVALID', `${where}: status ${status} but the body is not JSON (content-type '${type}')`));
        }
        resolve({ status, headers: res.headers, json, simulation, ...(peerCertificates === undefined ? {} : { peerCertificates }) });
      });
    });
    req.end(payload);
  });
}

function transportError(e: NodeJS.ErrnoException, where: string, pinned: boolean, timeoutMs: number): ClientError {
  const code = e.code ?? 'unknown';
  if (pinned && TLS_VERIFY_CODES.has(code)) {
    return new ClientError(
      'COORDINATOR_TLS_MISMATCH',
      `${where}: the server's TLS certificate does not chain to the pinned coordinator root CA (${code}); another server answered, or the coordinator was re-created (run 'cloister verify' again)`,
      { cause: e, detail: { tlsError: code } },
    );
  }
  const why = code === 'ETIMEDOUT' ? `no answer within ${timeoutMs} ms` : `${code}: ${e.message}`;
  return new ClientError('COORDINATOR_UNREACHABLE', `${where}: cannot reach the coordinator (${why}); check --coordinator and that it runs`, {
    cause: e,
    detail: { errno: code },
  });
}

/** A non-2xx answer: the coordinator's problem document when there is one (docs/api.md). */
function rejected(where: string, status: number, json: unknown): ClientError {
  const p = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const code = typeof p.code === 'string' ? p.code : undefined;
  const detail = typeof p.detail === 'string' ? p.detail : undefined;
  return new ClientError(
    'COORDINATOR_REJECTED',
    `${where}: the coordinator refused with ${status}${code === undefined ? '' : ` ${code}`}${detail === undefined ? '' : `: ${detail}`}`,
    {
      detail: {
        status,
        ...(code === undefined ? {} : { code }),
        ...(p.details === undefined ? {} : { details: p.details }),
        ...(p.simulation === true ? { simulation: true } : {}),
      },
    },
  );
}

/** The presented chain, leaf first, as DER (node links each certificate to its issuer). */
function peerChain(socket: TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<DetailedPeerCertificate>();
  while (c !== undefined && c.raw !== undefined && !seen.has(c) && out.length < 10) {
    seen.add(c);
    out.push(new Uint8Array(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}
