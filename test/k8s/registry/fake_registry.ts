import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OCI registry on 127.0.0.1 (plain HTTP) for tests: content-addressed manifests and
 * blobs, an anonymous bearer-token challenge (distribution token.md) for repository `app`,
 * a Basic-only repository, a repository that never answers, and one that serves a body that
 * does not match its digest. It counts requests so tests can see caching and precedence.
 */
export interface FakeRegistry {
  readonly host: string;
  readonly digests: { readonly appIndex: string; readonly appAmd64: string; readonly legacyList: string; readonly tampered: string; readonly armOnly: string };
  requests: string[];
  close(): Promise<void>;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const TOKEN = 'anon-token-for-app';
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { type: string; body: Buffer }>(); // key: repo@digest
  const tags = new Map<string, string>(); // repo:tag -> digest
  const blob = (json: unknown): { digest: string; size: number } => {
    const b = Buffer.from(JSON.stringify(json));
    blobs.set(sha(b), b);
    return { digest: sha(b), size: b.length };
  };
  const manifest = (repo: string, type: string, json: unknown, tag?: string): string => {
    const b = Buffer.from(JSON.stringify(json, null, 1));
    manifests.set(`${repo}@${sha(b)}`, { type, body: b });
    if (tag !== undefined) tags.set(`${repo}:${tag}`, sha(b));
    return sha(b);
  };
  const image = (repo: string, type: string, config: unknown): string => {
    const c = blob(config);
    return manifest(repo, type, { schemaVersion: 2, mediaType: type, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c }, layers: [] });
  };
  const entry = (type: string, digest: string, os: string, architecture: string, variant?: string) => ({
    mediaType: type, digest, size: manifests.get(`app@${digest}`)?.body.length ?? 1, platform: { os, architecture, ...(variant === undefined ? {} : { variant }) },
  });

  const appAmd64 = image('app', OCI_MANIFEST, { architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'] } });
  const appArm = image('app', OCI_MANIFEST, { architecture: 'arm64', os: 'linux', config: { Entrypoint: ['/arm-entrypoint'], Cmd: null } });
  const appWin = image('app', OCI_MANIFEST, { architecture: 'amd64', os: 'windows', config: { Entrypoint: ['C:\\app.exe'] } });
  const appIndex = manifest('app', OCI_INDEX, {
    schemaVersion: 2, mediaType: OCI_INDEX,
    manifests: [entry(OCI_MANIFEST, appArm, 'linux', 'arm64', 'v8'), entry(OCI_MANIFEST, appWin, 'windows', 'amd64'), entry(OCI_MANIFEST, appAmd64, 'linux', 'amd64')],
  }, '1.0');
  const legacyImage = image('legacy', DOCKER_MANIFEST, { config: { Cmd: ['/bin/sh', '-c', 'serve'] } });
  const legacyList = manifest('legacy', DOCKER_LIST, { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [{ mediaType: DOCKER_MANIFEST, digest: legacyImage, size: 1, platform: { os: 'linux', architecture: 'amd64' } }] }, 'latest');
  const armOnly = manifest('armonly', OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: appArm, size: 1, platform: { os: 'linux', architecture: 'arm64' } }] });
  const tampered = sha('the real manifest');
  manifests.set(`tampered@${tampered}`, { type: OCI_MANIFEST, body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { digest: sha('x') } })) });

  const requests: string[] = [];
  const send = (res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === '/token') {
      if (url.searchParams.get('scope') !== 'repository:app:pull' || url.searchParams.get('service') !== 'fake-registry') return send(res, 400, '{}');
      return send(res, 200, JSON.stringify({ token: TOKEN, expires_in: 300 }), { 'content-type': 'application/json' });
    }
    const m = /^\/v2\/([a-z0-9/._-]+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m === null) return send(res, 404, '{"errors":[{"code":"NAME_UNKNOWN"}]}');
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (repo === 'slow') return; // never answers: the client's deadline must end it
    if (repo === 'private') return send(res, 401, '{}', { 'www-authenticate': 'Basic realm="private"' });
    if (repo === 'app' && req.headers.authorization !== `Bearer ${TOKEN}`) {
      return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED"}]}', { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake-registry",scope="repository:app:pull"` });
    }
    if (kind === 'blobs') {
      const b = blobs.get(ref);
      return b === undefined ? send(res, 404, '{}') : send(res, 200, b, { 'content-type': 'application/octet-stream' });
    }
    const digest = ref.startsWith('sha256:') ? ref : tags.get(`${repo}:${ref}`);
    const found = digest === undefined ? undefined : manifests.get(`${repo}@${digest}`);
    if (found === undefined) return send(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    return send(res, 200, found.body, { 'content-type': found.type, 'docker-content-digest': digest! });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    digests: { appIndex, appAmd64, legacyList, tampered, armOnly },
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
