import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import {
  decodeSignedRequestHeader,
  verifySignedRequest,
  type GovernanceModel,
  type Principal,
} from '../governance/index.js';
import type { Clock } from '../common/clock.js';
import type { Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';
import { authenticateInstance } from './instance_auth.js';

/**
 * Who is calling a coordinator endpoint (docs/governance.md "Authorization"): established here,
 * before `authorize` decides what that principal may do.
 *
 * - A user presents, as TLS client certificate, exactly the certificate the manifest declares
 *   for them, or (a user declared by `publicKey`) any certificate over that key — the CLI makes
 *   a short-lived self-signed one. The TLS handshake has proven possession of the private key
 *   (CertificateVerify), so the certificate only has to name a declared key and be within its
 *   validity window.
 * - Or a signed request (`Cloister-Signature` header) by a declared user.
 * - A certificate issued by this coordinator's intermediate is a workload instance: current
 *   (not renewed, not deactivated) or refused as revoked.
 * - Anything else is anonymous.
 */
export interface RequestCredentials {
  /** DER of the TLS client certificate, if one was presented */
  readonly peerDer: Uint8Array | undefined;
  /** the Cloister-Signature header, if present */
  readonly signatureHeader: string | undefined;
  readonly method: string;
  /** path with query, exactly as requested */
  readonly path: string;
  readonly body: Uint8Array;
}

/** The users of one manifest, indexed for lookups by certificate (built once per manifest). */
export interface UserIndex {
  readonly model: GovernanceModel;
  /** SHA-256 of SPKI DER (hex) -> user declared by publicKey */
  readonly byKey: ReadonlyMap<string, string>;
  /** SHA-256 of certificate DER (hex) -> user declared by certificate */
  readonly byCert: ReadonlyMap<string, string>;
  /** SHA-256 of SPKI DER (hex) of certificate users -> user: such a key in another certificate is not them */
  readonly certUserKeys: ReadonlyMap<string, string>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const spkiOf = (c: X509Certificate) => new Uint8Array(c.publicKey.export({ type: 'spki', format: 'der' }));

export function indexUsers(model: GovernanceModel): UserIndex {
  const byKey = new Map<string, string>();
  const byCert = new Map<string, string>();
  const certUserKeys = new Map<string, string>();
  for (const [name, u] of Object.entries(model.users)) {
    if (u.certificate !== undefined) {
      const c = new X509Certificate(u.certificate);
      byCert.set(sha256(c.raw), name);
      certUserKeys.set(sha256(spkiOf(c)), name);
    } else if (u.publicKey !== undefined) {
      byKey.set(sha256(new Uint8Array(createPublicKey(u.publicKey).export({ type: 'spki', format: 'der' }))), name);
    }
  }
  return { model, byKey, byCert, certUserKeys };
}

export interface AuthContext {
  readonly users: UserIndex;
  readonly intermediatePem: string | undefined;
  readonly clock: Clock;
  readonly store: Pick<Store, 'get'>;
  readonly replay: SignedRequestReplayCache;
}

/** How far a signed request's time may be from ours (docs/governance.md: at most 15 minutes). */
export const SIGNED_REQUEST_SKEW_MS = 5 * 60_000;

export async function authenticate(cred: RequestCredentials, ctx: AuthContext): Promise<Principal> {
  if (cred.signatureHeader !== undefined) {
    const auth = decodeSignedRequestHeader(cred.signatureHeader);
    const now = ctx.clock.now();
    const r = verifySignedRequest(ctx.users.model, { method: cred.method, path: cred.path, body: cred.body }, auth, {
      now,
      maxSkewMs: SIGNED_REQUEST_SKEW_MS,
      seenNonce: (user, nonce) => ctx.replay.seen(user, nonce, now.getTime() + 2 * SIGNED_REQUEST_SKEW_MS),
    });
    return r.principal;
  }
  if (cred.peerDer === undefined || cred.peerDer.length === 0) return { kind: 'anonymous' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(cred.peerDer);
  } catch {
    throw new CoordinatorError('AUTH_REQUIRED', 'the TLS client certificate does not parse');
  }
  const now = ctx.clock.now().getTime();
  const inWindow = now >= Date.parse(cert.validFrom) && now <= Date.parse(cert.validTo);
  const certUser = ctx.users.byCert.get(sha256(cert.raw));
  const keyHash = sha256(spkiOf(cert));
  const keyUser = ctx.users.byKey.get(keyHash);
  const user = certUser ?? keyUser;
  if (user !== undefined) {
    if (!inWindow) throw new CoordinatorError('AUTH_CERT_EXPIRED', `the client certificate of user '${user}' is valid ${cert.validFrom} to ${cert.validTo}, not now`);
    return { kind: 'user', name: user };
  }
  const replacedUser = ctx.users.certUserKeys.get(keyHash);
  if (replacedUser !== undefined) {
    // the key of a certificate user in a certificate other than the declared one: an old or
    // replaced certificate (the manifest names the current one)
    throw new CoordinatorError('AUTH_CERT_REVOKED', `this certificate is not the one the manifest declares for user '${replacedUser}'`);
  }
  if (ctx.intermediatePem !== undefined && cert.checkIssued(new X509Certificate(ctx.intermediatePem))) {
    try {
      const w = await authenticateInstance(cred.peerDer, { intermediatePem: ctx.intermediatePem, now: ctx.clock.now(), store: ctx.store });
      return { kind: 'workload', name: w.workload, instanceId: w.instanceId };
    } catch (e) {
      if (e instanceof CoordinatorError && e.code === 'INSTANCE_NOT_AUTHENTICATED') {
        throw new CoordinatorError(inWindow ? 'AUTH_CERT_REVOKED' : 'AUTH_CERT_EXPIRED', `workload certificate refused: ${e.message}`);
      }
      throw e;
    }
  }
  throw new CoordinatorError('AUTH_REQUIRED', 'the TLS client certificate belongs to no declared user and no workload of this coordinator');
}

/** A caller that authenticated (user or workload; authorize decides next); anonymous callers get AUTH_REQUIRED (401), not 403. */
export function requireAuthenticated(p: Principal): Extract<Principal, { kind: 'user' }> | Extract<Principal, { kind: 'workload' }> {
  if (p.kind === 'anonymous') {
    throw new CoordinatorError('AUTH_REQUIRED', 'this endpoint needs an authenticated user (mTLS with a declared user key, or a signed request)');
  }
  return p;
}

/** Remembers (user, nonce) of signed requests until they could no longer pass the time check. */
export interface SignedRequestReplayCache {
  /** true if seen before; otherwise remembers it until `untilMs` */
  seen(user: string, nonce: string, untilMs: number): boolean;
}

export function createReplayCache(o: { clock: Clock; capacity: number }): SignedRequestReplayCache {
  const live = new Map<string, number>();
  return {
    seen(user, nonce, untilMs) {
      const now = o.clock.now().getTime();
      for (const [k, until] of live) {
        if (until > now) break; // insertion order = expiry order (one fixed window)
        live.delete(k);
      }
      const key = `${user}\u0000${nonce}`;
      // full of live nonces: refuse (as a replay) rather than forget one that could then be replayed
      if (live.has(key) || live.size >= o.capacity) return true;
      live.set(key, untilMs);
      return false;
    },
  };
}

/** Audit actor of a principal. */
export function actorOf(p: Principal): string {
  return p.kind === 'user' ? `user:${p.name}` : p.kind === 'workload' ? `workload:${p.name}/${p.instanceId}` : 'anonymous';
}
