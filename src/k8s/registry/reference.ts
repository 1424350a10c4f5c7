import { K8sError } from '../errors.js';

/**
 * An image reference as a container runtime reads it: `[registry/]repository[:tag][@digest]`.
 * Normalisation follows the Docker reference grammar (distribution/reference normalize.go):
 * the first path component is a registry only if it contains '.' or ':' or is `localhost`;
 * otherwise the image is on Docker Hub (`docker.io`, API host `registry-1.docker.io`), where a
 * one-component name lives under `library/`. Without tag and digest the tag is `latest`.
 */
export interface ImageReference {
  /** host[:port] the API is reached at */
  readonly registry: string;
  /** repository path, e.g. `library/nginx` */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` or `sha512:<128 hex>` when the image is pinned */
  readonly digest?: string;
}

const DOCKER_HUB_API = 'registry-1.docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export function parseImageReference(image: string): ImageReference {
  const bad = (why: string): K8sError => new K8sError('K8S_ENTRYPOINT_UNRESOLVED', `image '${image.slice(0, 200)}' is not an image reference: ${why}`);
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest is not sha256:<64 lowercase hex> or sha512:<128 lowercase hex>');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag '${tag}' is invalid`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) registry = parts.shift()!;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = DOCKER_HUB_API;
    if (parts.length === 1) parts.unshift('library');
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) throw bad('the repository path is not lowercase components separated by /');
  return { registry, repository: parts.join('/'), ...(tag === undefined && digest === undefined ? { tag: 'latest' } : tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** Pinned by digest: what the runtime pulls cannot differ from what the webhook read. */
export function isDigestPinned(image: string): boolean {
  return /@sha(256|512):[0-9a-f]+$/.test(image);
}
