import { randomBytes } from 'node:crypto';
import { toHex } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { CaError } from './errors.js';
import type { CaKeyType } from './keys.js';
import { x509 } from './x509_provider.js';
import type { CryptoKey } from './x509_provider.js';

/**
 * The CA as the coordinator holds it: an immutable value. Changes (revocations) return a new
 * Ca, so the coordinator can replace its state snapshot by compare-and-swap.
 */
export interface CaCert {
  readonly cert: x509.X509Certificate;
  readonly certPem: string;
  readonly privateKey: CryptoKey;
  /** The private key as PKCS#8 PEM, kept so a snapshot (sealed by the store) can reload it. */
  readonly privateKeyPem: string;
  /** Hex SubjectKeyIdentifier, repeated as AuthorityKeyIdentifier in what this cert signs. */
  readonly keyId: string;
}

export type RevocationReason = 'unspecified' | 'keyCompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation' | 'privilegeWithdrawn';

export interface Revocation {
  /** Lowercase hex serial as issued. */
  readonly serial: string;
  readonly reason: RevocationReason;
  readonly revokedAt: Date;
}

export interface Ca {
  readonly name: string;
  readonly keyType: CaKeyType;
  readonly root: CaCert;
  readonly intermediate: CaCert;
  readonly revoked: readonly Revocation[];
  /** Source of serial numbers. */
  readonly random: Random;
}

/** node's CSPRNG, the default Random of createCa/loadCa (documented exception: wiring-free use). */
export const systemRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/**
 * A positive 128-bit-class serial: 16 random bytes with the top bit cleared (DER INTEGERs are
 * signed) and a non-zero first byte (so the encoding stays 16 bytes). 126+ bits of entropy,
 * above the CA/Browser Forum's 64-bit minimum.
 */
export function randomSerial(random: Random): string {
  const b = random.bytes(16);
  if (b.byteLength !== 16) throw new CaError('CA_SERIAL_INVALID', `serial source: got ${b.byteLength} bytes, want 16`);
  const out = new Uint8Array(b);
  out[0] = out[0]! & 0x7f || 0x01;
  return toHex(out);
}

/** Lowercase hex serial of 1..20 bytes (RFC 5280 4.1.2.2), without leading zero bytes. */
export function normalizeSerial(serial: string): string {
  const s = serial.toLowerCase().replace(/^(00)+(?=..)/, '');
  if (!/^[0-9a-f]+$/.test(s) || s.length % 2 !== 0 || s.length > 40) {
    throw new CaError('CA_SERIAL_INVALID', `serial ${JSON.stringify(serial)}: want 1..20 bytes of hex`);
  }
  return s;
}

/** X.509 times have whole seconds; flooring keeps what we compare equal to what is encoded. */
export function floorToSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function checkLifetime(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < 1000) throw new CaError('CA_LIFETIME_INVALID', `${what}: got ${ms} ms, want a finite number >= 1000`);
}

/** Backdating absorbs clock skew between the coordinator and relying parties. */
export const BACKDATE_MS = 60_000;

/**
 * The validity window of a certificate the intermediate signs at `now`: [now - 60 s, now +
 * lifetime], clamped inside the intermediate's own window (a child never outlives its issuer).
 */
export function validityWindow(issuer: CaCert, now: Date, lifetimeMs: number): { notBefore: Date; notAfter: Date; clamped: boolean } {
  checkLifetime(lifetimeMs, 'certificate lifetime');
  const t = floorToSecond(now).getTime();
  const from = issuer.cert.notBefore.getTime();
  const until = issuer.cert.notAfter.getTime();
  if (t < from || t >= until) {
    throw new CaError('CA_NOT_VALID_AT_TIME', `issuing CA ${issuer.cert.subject} is valid ${issuer.cert.notBefore.toISOString()}..${issuer.cert.notAfter.toISOString()}, not at ${now.toISOString()}`);
  }
  const want = t + lifetimeMs;
  return { notBefore: new Date(Math.max(t - BACKDATE_MS, from)), notAfter: new Date(Math.min(want, until)), clamped: want > until };
}
