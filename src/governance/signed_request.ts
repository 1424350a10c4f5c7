import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../common/jcs.js';
import { GovernanceError } from './errors.js';
import { keyFromPem, signAsUser, verifyUserSignature } from './keys.js';
import type { GovernanceModel } from './schema.js';

/**
 * Signed requests, for users who cannot present an mTLS client certificate (e.g. behind a
 * TLS-terminating proxy they trust for transport only). The request carries one header:
 *
 *   Cloister-Signature: base64url(JSON { user, time, nonce, signature })
 *
 * and the signature covers "cloister/signed-request/v1" || 0x00 || JCS({ method, path,
 * bodySha256, time, nonce, user }): the method (upper case), the path with its query string,
 * the SHA-256 of the exact body bytes, the signing time (ISO 8601 UTC) and a random nonce.
 * The coordinator accepts it only within `maxSkewMs` of its clock and only once per
 * (user, nonce): it must remember each nonce until the returned `rememberUntil` (signing time
 * + maxSkewMs), after which the time check refuses the request anyway.
 * Modelled on the shape of AWS SigV4 and RFC 9421 (HTTP message signatures), much reduced.
 */
export const SIGNED_REQUEST_LABEL = 'cloister/signed-request/v1';
export const SIGNED_REQUEST_HEADER = 'cloister-signature';
/** Upper bound on the allowed skew: longer windows mean longer replay caches. */
export const MAX_SKEW_LIMIT_MS = 15 * 60 * 1000;

export interface SignedRequestAuth {
  readonly user: string;
  readonly time: string;
  /** 16-64 random bytes, lowercase hex. */
  readonly nonce: string;
  readonly signature: string;
}

export interface RequestToSign {
  readonly method: string;
  readonly path: string;
  readonly body: Uint8Array;
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NONCE_RE = /^([0-9a-f]{2}){16,64}$/;

function message(req: RequestToSign, auth: Omit<SignedRequestAuth, 'signature'>): Uint8Array {
  const body = canonicalJson({
    method: req.method.toUpperCase(),
    path: req.path,
    bodySha256: createHash('sha256').update(req.body).digest('hex'),
    time: auth.time,
    nonce: auth.nonce,
    user: auth.user,
  });
  return new Uint8Array(Buffer.concat([Buffer.from(SIGNED_REQUEST_LABEL, 'ascii'), Buffer.of(0), Buffer.from(body, 'utf8')]));
}

export function signRequest(req: RequestToSign, o: { user: string; privateKey: KeyObject; time: Date; nonce: Uint8Array }): SignedRequestAuth {
  const auth = { user: o.user, time: o.time.toISOString(), nonce: Buffer.from(o.nonce).toString('hex') };
  checkAuthShape({ ...auth, signature: '00' });
  return { ...auth, signature: Buffer.from(signAsUser(o.privateKey, message(req, auth))).toString('hex') };
}

export function encodeSignedRequestHeader(auth: SignedRequestAuth): string {
  return Buffer.from(JSON.stringify({ user: auth.user, time: auth.time, nonce: auth.nonce, signature: auth.signature }), 'utf8').toString('base64url');
}

export function decodeSignedRequestHeader(header: string): SignedRequestAuth {
  if (typeof header !== 'string' || header.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(header)) malformed('header is not base64url (at most 4096 characters)');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return malformed('header is not base64url JSON');
  }
  return checkAuthShape(v);
}

function malformed(what: string): never {
  throw new GovernanceError('GOVERNANCE_REQUEST_MALFORMED', `signed request: ${what}`);
}

function checkAuthShape(v: unknown): SignedRequestAuth {
  if (typeof v !== 'object' || v === null || Object.keys(v).sort().join(',') !== 'nonce,signature,time,user') malformed('want exactly user, time, nonce, signature');
  const a = v as Record<string, unknown>;
  if (typeof a.user !== 'string' || a.user.length === 0 || a.user.length > 64) malformed('user: want a user name');
  if (typeof a.time !== 'string' || !TIME_RE.test(a.time) || Number.isNaN(Date.parse(a.time))) malformed(`time: got ${JSON.stringify(a.time)}, want ISO 8601 UTC with milliseconds`);
  if (typeof a.nonce !== 'string' || !NONCE_RE.test(a.nonce)) malformed('nonce: want 16-64 bytes of lowercase hex');
  if (typeof a.signature !== 'string' || !/^([0-9a-f]{2})+$/.test(a.signature)) malformed('signature: want lowercase hex');
  return v as SignedRequestAuth;
}

export interface VerifySignedRequestContext {
  readonly now: Date;
  readonly maxSkewMs: number;
  /** Returns true if (user, nonce) was seen before, and remembers it otherwise (the caller's replay cache). */
  readonly seenNonce: (user: string, nonce: string) => boolean;
}

/**
 * Verifies a signed request and returns the authenticated user principal. Order: shape, user,
 * time window, signature, then the replay cache (so a forged request cannot burn a nonce).
 */
export function verifySignedRequest(
  model: GovernanceModel,
  req: RequestToSign,
  auth: SignedRequestAuth,
  ctx: VerifySignedRequestContext,
): { principal: { kind: 'user'; name: string }; rememberUntil: Date } {
  checkAuthShape(auth);
  if (!Number.isFinite(ctx.maxSkewMs) || ctx.maxSkewMs <= 0 || ctx.maxSkewMs > MAX_SKEW_LIMIT_MS) {
    throw new GovernanceError('GOVERNANCE_REQUEST_SKEW', `signed request: maxSkewMs got ${ctx.maxSkewMs}, want 1..${MAX_SKEW_LIMIT_MS}`);
  }
  const entry = model.users[auth.user];
  if (entry === undefined) throw new GovernanceError('GOVERNANCE_USER_UNKNOWN', `signed request by '${auth.user}': not a declared user`, { detail: { user: auth.user } });
  const t = Date.parse(auth.time);
  const skew = t - ctx.now.getTime();
  if (Math.abs(skew) > ctx.maxSkewMs) {
    throw new GovernanceError('GOVERNANCE_REQUEST_SKEW', `signed request time ${auth.time} is ${skew} ms from now ${ctx.now.toISOString()}, want within ${ctx.maxSkewMs} ms`, {
      detail: { user: auth.user, skewMs: skew },
    });
  }
  const key = keyFromPem(entry, `user '${auth.user}'`, ctx.now);
  if (!verifyUserSignature(key, message(req, auth), Buffer.from(auth.signature, 'hex'))) {
    throw new GovernanceError('GOVERNANCE_REQUEST_SIGNATURE_INVALID', `signed request by '${auth.user}': signature over ${req.method.toUpperCase()} ${req.path} does not verify`, {
      detail: { user: auth.user },
    });
  }
  if (ctx.seenNonce(auth.user, auth.nonce)) {
    throw new GovernanceError('GOVERNANCE_REQUEST_REPLAYED', `signed request by '${auth.user}': nonce ${auth.nonce} was already used`, { detail: { user: auth.user } });
  }
  return { principal: { kind: 'user', name: auth.user }, rememberUntil: new Date(t + ctx.maxSkewMs) };
}
