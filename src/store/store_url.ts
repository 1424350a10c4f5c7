import { StoreError } from './errors.js';
import { parseEtcdOptions, type EtcdStoreOptions } from './etcd_options.js';

/**
 * The `--store` URL of `cloister coordinator start` (issue #8):
 *
 *   file                                      the embedded file store in --state-dir (the default)
 *   etcd://HOST:PORT[,HOST:PORT...][/prefix/] etcd over plain gRPC
 *   etcds://HOST:PORT[,HOST:PORT...][/prefix/] etcd over TLS: the CA file is required, a client
 *                                             certificate + key (etcd --client-cert-auth) optional
 *
 * Several hosts in one authority, comma-separated, is etcdctl's `--endpoints` spelling and what
 * a Kubernetes install renders; WHATWG `new URL` rejects such authorities, so this is a small
 * parser of its own. TLS material arrives as bytes (the CLI reads the files): no I/O here.
 *
 * Deliberately not accepted: user:password@ (credentials in a URL end up in process listings
 * and logs; etcd auth is done with a client certificate), query strings and fragments (no
 * option needs them, and silently ignoring one would hide a typo), percent-encoding in the
 * prefix (one spelling per prefix, so two replicas cannot disagree about where the state is).
 */
export type StoreSelection = { readonly kind: 'file' } | { readonly kind: 'etcd'; readonly options: EtcdStoreOptions };

/** PEM bytes from `--etcd-ca`, `--etcd-cert`, `--etcd-key`. */
export interface EtcdTlsFiles {
  readonly ca?: Uint8Array;
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
}

/** Bound on each etcd store operation, retries included: long enough for a raft leader election (1 s by default). */
export const DEFAULT_ETCD_TIMEOUT_MS = 5000;

const ETCD_URL_RE = /^(etcds?):\/\/([^/?#]*)(\/[^?#]*)?$/i;
// one endpoint: DNS name, IPv4 or a bracketed IPv6 literal, then a port (range checked below)
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/;
// '/', or '/'-delimited segments of URL-unreserved characters with a trailing '/'
const PREFIX_RE = /^\/(?:[A-Za-z0-9._~-]+\/)*$/;

function invalid(text: string, why: string): never {
  throw new StoreError('STORE_URL_INVALID', `store URL ${JSON.stringify(text)}: ${why}`);
}

function tlsMismatch(why: string): never {
  throw new StoreError('STORE_URL_TLS_MISMATCH', `store URL and etcd TLS files: ${why}`);
}

function parseEndpoints(text: string, authority: string): string[] {
  if (authority.includes('@')) invalid(text, "credentials (user@) are not accepted in the URL: authenticate to etcd with --etcd-cert and --etcd-key");
  if (authority === '') invalid(text, 'no endpoints: want HOST:PORT[,HOST:PORT...]');
  const endpoints = authority.split(',').map((e) => {
    const m = HOST_PORT_RE.exec(e);
    if (m === null) invalid(text, `endpoint ${JSON.stringify(e)}: want HOST:PORT (a DNS name, an IPv4 address or [IPv6])`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) invalid(text, `endpoint ${JSON.stringify(e)}: port got ${port}, want 1..65535`);
    return `${m[1]!.toLowerCase()}:${port}`;
  });
  const seen = new Set<string>();
  for (const e of endpoints) {
    if (seen.has(e)) invalid(text, `endpoint ${e} is listed twice`);
    seen.add(e);
  }
  return endpoints;
}

function checkTlsFiles(secure: boolean, tls: EtcdTlsFiles): EtcdStoreOptions['tls'] {
  const given = [tls.ca, tls.cert, tls.key].some((b) => b !== undefined);
  if (!secure) {
    if (given) tlsMismatch('--etcd-ca, --etcd-cert and --etcd-key need an etcds:// URL (TLS); got a plain etcd:// URL');
    return undefined;
  }
  if (tls.ca === undefined) tlsMismatch('an etcds:// URL needs --etcd-ca (the CA that signed the etcd members)');
  if ((tls.cert === undefined) !== (tls.key === undefined)) tlsMismatch('--etcd-cert and --etcd-key come together (the client certificate) or not at all');
  return { ca: tls.ca, ...(tls.cert === undefined ? {} : { cert: tls.cert }), ...(tls.key === undefined ? {} : { key: tls.key }) };
}

/**
 * Parses a `--store` value (see above). The etcd options returned have passed
 * `parseEtcdOptions`, so opening the store cannot fail on them with STORE_ETCD_CONFIG_INVALID
 * for a reason this parser could have named first.
 */
export function parseStoreUrl(text: string, tlsFiles: EtcdTlsFiles = {}): StoreSelection {
  if (text === 'file' || text === 'file://') {
    if ([tlsFiles.ca, tlsFiles.cert, tlsFiles.key].some((b) => b !== undefined)) tlsMismatch('--etcd-ca, --etcd-cert and --etcd-key need an etcds:// store; got the file store');
    return { kind: 'file' };
  }
  if (/^file:/i.test(text)) invalid(text, "the file store takes no path here: write 'file' and choose the directory with --state-dir");
  const m = ETCD_URL_RE.exec(text);
  if (m === null) {
    if (/^etcds?:\/\//i.test(text)) invalid(text, 'query strings (?) and fragments (#) are not accepted');
    invalid(text, "want 'file', etcd://HOST:PORT[,HOST:PORT...][/prefix/] or etcds://HOST:PORT[,HOST:PORT...][/prefix/]");
  }
  const secure = m[1]!.toLowerCase() === 'etcds';
  const endpoints = parseEndpoints(text, m[2]!);
  const path = m[3];
  if (path !== undefined && !PREFIX_RE.test(path)) {
    invalid(text, `key prefix ${JSON.stringify(path)}: want '/'-delimited segments of letters, digits, '.', '_', '~', '-' ending in '/', e.g. /cloister/`);
  }
  const tls = checkTlsFiles(secure, tlsFiles);
  const options: EtcdStoreOptions = {
    endpoints,
    // '/' alone (or nothing) means the default prefix: the root of etcd's key space is never ours
    ...(path === undefined || path === '/' ? {} : { prefix: path }),
    ...(tls === undefined ? {} : { tls }),
    timeoutMs: DEFAULT_ETCD_TIMEOUT_MS,
  };
  parseEtcdOptions(options);
  return { kind: 'etcd', options };
}
