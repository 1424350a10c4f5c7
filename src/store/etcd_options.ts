import { StoreError } from './errors.js';

/** How to reach etcd. Endpoints are `HOST:PORT`, `http://HOST:PORT` or `https://HOST:PORT`. */
export interface EtcdStoreOptions {
  readonly endpoints: readonly string[];
  /** Root of Cloister's keys in etcd; must start and end with '/'. Default `/cloister/`. */
  readonly prefix?: string;
  /**
   * TLS to etcd (PEM bytes): `ca` verifies the members; `cert` + `key` (both or neither) are the
   * client certificate for etcd's `--client-cert-auth`. With `tls`, every endpoint is https.
   */
  readonly tls?: { readonly ca: Uint8Array; readonly cert?: Uint8Array; readonly key?: Uint8Array };
  /** Bound on each store operation, retries included (milliseconds, 1..600000). */
  readonly timeoutMs: number;
}

export const DEFAULT_ETCD_PREFIX = '/cloister/';

/** Validated options in the shape the etcd3 client takes. */
export interface EtcdConnection {
  /** `http://host:port` or `https://host:port`, one per endpoint. */
  readonly hosts: readonly string[];
  /** The endpoints as given, for error messages. */
  readonly endpoints: readonly string[];
  readonly secure: boolean;
  readonly credentials: { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer } | undefined;
  readonly prefix: string;
  readonly timeoutMs: number;
}

function invalid(why: string): never {
  throw new StoreError('STORE_ETCD_CONFIG_INVALID', `etcd store options: ${why}`);
}

// host: DNS name, IPv4, or a bracketed IPv6 literal; then a port.
const ENDPOINT_RE = /^(?:(https?):\/\/)?((?:\[[0-9a-fA-F:.]+\])|(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):([0-9]{1,5})\/?$/;

function parseEndpoint(e: string): { scheme: 'http' | 'https' | undefined; hostPort: string } {
  const m = ENDPOINT_RE.exec(e);
  if (m === null) invalid(`endpoint ${JSON.stringify(e)}: want HOST:PORT, http://HOST:PORT or https://HOST:PORT`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) invalid(`endpoint ${JSON.stringify(e)}: port got ${port}, want 1..65535`);
  return { scheme: m[1] as 'http' | 'https' | undefined, hostPort: `${m[2]}:${port}` };
}

// Control characters would make keys ambiguous in logs; '/' at both ends keeps prefixes disjoint
// ("/cloister/" never matches "/cloister2/...").
const PREFIX_RE = /^\/(?:[^\u0000-\u001f\u007f]*\/)?$/u;

export function parseEtcdOptions(o: EtcdStoreOptions): EtcdConnection {
  if (!Array.isArray(o.endpoints) || o.endpoints.length === 0) invalid('endpoints: got none, want at least one');
  const parsed = o.endpoints.map(parseEndpoint);
  const schemes = new Set(parsed.map((p) => p.scheme ?? (o.tls === undefined ? 'http' : 'https')));
  if (schemes.size > 1) invalid(`endpoints mix http and https: ${o.endpoints.join(',')}`);
  const secure = schemes.has('https');
  if (o.tls !== undefined && !secure) invalid('tls is set but the endpoints say http://');

  const prefix = o.prefix ?? DEFAULT_ETCD_PREFIX;
  if (!PREFIX_RE.test(prefix) || prefix.includes('//')) invalid(`prefix ${JSON.stringify(prefix)}: want '/', non-empty segments, a trailing '/', no control characters`);

  if (!Number.isInteger(o.timeoutMs) || o.timeoutMs < 1 || o.timeoutMs > 600_000) invalid(`timeoutMs: got ${String(o.timeoutMs)}, want an integer in 1..600000`);

  let credentials: EtcdConnection['credentials'];
  if (o.tls !== undefined) {
    const { ca, cert, key } = o.tls;
    if (!(ca instanceof Uint8Array) || ca.byteLength === 0) invalid('tls.ca: want PEM bytes of the CA that signed the etcd members');
    if ((cert === undefined) !== (key === undefined)) invalid('tls: cert and key come together (client certificate) or not at all');
    credentials = { rootCertificate: Buffer.from(ca) };
    if (cert !== undefined && key !== undefined) {
      credentials.certChain = Buffer.from(cert);
      credentials.privateKey = Buffer.from(key);
    }
  }
  return {
    hosts: parsed.map((p) => `${secure ? 'https' : 'http'}://${p.hostPort}`),
    endpoints: [...o.endpoints],
    secure,
    credentials,
    prefix,
    timeoutMs: o.timeoutMs,
  };
}
