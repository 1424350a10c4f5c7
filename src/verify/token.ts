import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, jwtVerify, createLocalJWKSet, type JSONWebKeySet, type JWK } from 'jose';
import { CloisterError, type CodeTable } from '../common/errors.js';
import type { TcbStatus, VerificationResult } from './types.js';

/**
 * Attestation results as IETF RATS EAR (draft-ietf-rats-ear, the JWT spelling deployed by
 * Veraison and Trustee: `ear.status`, `ear.verifier-id`, `submods`). Facts from
 * ../shared/PROTOCOLS.md section 4. One submodule per appraised evidence, named by its TEE.
 */
export const EAR_PROFILE = 'tag:github.com,2023:veraison/ear';
export const EAR_POLICY_ID = 'cloister/evidence/default/v1';
export const TOKEN_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'PS384'] as const;

export const TOKEN_CODES = {
  TOKEN_INVALID: 'The token signature, algorithm, profile or shape does not verify.',
  TOKEN_KEY_INVALID: 'The signing or verification key cannot be used for EAR tokens.',
} as const satisfies CodeTable;
export class TokenError extends CloisterError<keyof typeof TOKEN_CODES> {}

export type EarStatus = 'affirming' | 'warning' | 'contraindicated' | 'none';

/** AR4SI tiers (draft-ietf-rats-ar4si): 2 affirming, 32 warning, 96 contraindicated. */
const TIER = { affirming: 2, warning: 32, contraindicated: 96 } as const;

export interface EarSubmod {
  readonly 'ear.status': EarStatus;
  readonly 'ear.trustworthiness-vector': Readonly<Record<string, number>>;
  readonly 'ear.appraisal-policy-id': string;
  readonly 'ear.veraison.annotated-evidence': Readonly<Record<string, unknown>>;
}

export interface EarClaims {
  readonly eat_profile: string;
  readonly iat: number;
  readonly 'ear.verifier-id': { readonly developer: string; readonly build: string };
  readonly eat_nonce?: string;
  readonly submods: Readonly<Record<string, EarSubmod>>;
}

function hardwareTier(status: TcbStatus | undefined): number {
  if (status === 'UpToDate') return TIER.affirming;
  if (status === undefined || status === 'Revoked') return TIER.contraindicated;
  return TIER.warning; // authentic hardware that needs an update or configuration
}

/** Builds the EAR claims set for a verification result (pure; `iat` from `now`). */
export function earClaims(result: VerificationResult, o: { now: Date; nonce?: string; build?: string }): EarClaims {
  const vector: Record<string, number> = {};
  let status: EarStatus;
  if (result.ok) {
    vector['instance-identity'] = TIER.affirming;
    vector.hardware = hardwareTier(result.status);
    vector.configuration = result.claims.debug ? TIER.warning : TIER.affirming;
    status = Object.values(vector).some((t) => t >= TIER.warning) ? 'warning' : 'affirming';
  } else {
    vector['instance-identity'] = TIER.contraindicated;
    if (result.status !== undefined) vector.hardware = hardwareTier(result.status);
    status = 'contraindicated';
  }
  const annotated: Record<string, unknown> = result.ok
    ? { status: result.status, advisoryIds: result.advisoryIds, claims: result.claims }
    : { ...(result.status === undefined ? {} : { status: result.status }), error: { code: result.error.code } };
  const claims: EarClaims = {
    eat_profile: EAR_PROFILE,
    iat: Math.floor(o.now.getTime() / 1000),
    'ear.verifier-id': { developer: 'cloister', build: o.build ?? 'cloister' },
    ...(o.nonce === undefined ? {} : { eat_nonce: o.nonce }),
    submods: {
      [result.tee ?? 'unknown']: {
        'ear.status': status,
        'ear.trustworthiness-vector': vector,
        'ear.appraisal-policy-id': EAR_POLICY_ID,
        'ear.veraison.annotated-evidence': annotated,
      },
    },
  };
  return claims;
}

function algFor(key: KeyObject): (typeof TOKEN_ALGORITHMS)[number] {
  const t = key.asymmetricKeyType;
  if (t === 'ec') {
    const crv = key.asymmetricKeyDetails?.namedCurve;
    if (crv === 'prime256v1') return 'ES256';
    if (crv === 'secp384r1') return 'ES384';
  }
  if (t === 'ed25519') return 'EdDSA';
  if (t === 'rsa-pss' || t === 'rsa') return 'PS256';
  throw new TokenError('TOKEN_KEY_INVALID', `unsupported token key type ${t ?? 'unknown'} (use EC P-256/P-384, Ed25519 or RSA)`);
}

/** A fresh ES256 signing key (callers that want stable tokens load one instead). */
export function generateTokenKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

/** Signs the EAR for `result` as a JWT with the private key; `kid` identifies the key in the JWKS. */
export async function issueToken(
  result: VerificationResult,
  key: KeyObject,
  o: { now: Date; nonce?: string; kid?: string; build?: string },
): Promise<string> {
  if (key.type !== 'private') throw new TokenError('TOKEN_KEY_INVALID', 'issuing a token needs a private key');
  const alg = algFor(key);
  const kid = o.kid ?? (await keyId(createPublicKey(key)));
  return new SignJWT({ ...earClaims(result, o) } as unknown as Record<string, unknown>)
    .setProtectedHeader({ alg, typ: 'JWT', kid })
    .sign(key);
}

/** RFC 7638 thumbprint-style key id (base64url SHA-256 of the public JWK). */
async function keyId(pub: KeyObject): Promise<string> {
  const { calculateJwkThumbprint } = await import('jose');
  return calculateJwkThumbprint((await exportJWK(pub)) as JWK);
}

/** The public JWKS for verifying tokens issued with `key` (private or public). */
export async function exportJwks(key: KeyObject): Promise<JSONWebKeySet> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = await exportJWK(pub);
  return { keys: [{ ...jwk, alg: algFor(pub), use: 'sig', kid: await keyId(pub) }] };
}

/**
 * Verifies a token against a JWKS (or a public key): signature, allowed algorithm, EAR
 * profile and shape. Optional `maxAgeSeconds` against `now`; EAR has no required `exp`.
 */
export async function verifyToken(
  token: string,
  keys: JSONWebKeySet | KeyObject,
  o: { now: Date; maxAgeSeconds?: number; nonce?: string },
): Promise<EarClaims> {
  let payload: Record<string, unknown>;
  try {
    const opts = {
      algorithms: [...TOKEN_ALGORITHMS],
      currentDate: o.now,
      ...(o.maxAgeSeconds === undefined ? {} : { maxTokenAge: o.maxAgeSeconds }),
    };
    const res = 'keys' in keys ? await jwtVerify(token, createLocalJWKSet(keys), opts) : await jwtVerify(token, keys, opts);
    payload = res.payload as Record<string, unknown>;
  } catch (cause) {
    throw new TokenError('TOKEN_INVALID', `token does not verify: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const submods = payload.submods;
  const vid = payload['ear.verifier-id'] as { developer?: unknown; build?: unknown } | undefined;
  if (
    payload.eat_profile !== EAR_PROFILE ||
    typeof payload.iat !== 'number' ||
    typeof vid?.developer !== 'string' ||
    typeof vid.build !== 'string' ||
    typeof submods !== 'object' ||
    submods === null ||
    Object.keys(submods).length === 0 ||
    Object.values(submods).some((s) => !['affirming', 'warning', 'contraindicated', 'none'].includes((s as { 'ear.status'?: string })['ear.status'] ?? ''))
  ) {
    throw new TokenError('TOKEN_INVALID', 'token is not an EAR attestation result (eat_profile, iat, ear.verifier-id, submods with ear.status)');
  }
  if (o.nonce !== undefined && payload.eat_nonce !== o.nonce) {
    throw new TokenError('TOKEN_INVALID', 'token nonce does not match the expected nonce');
  }
  return payload as unknown as EarClaims;
}
