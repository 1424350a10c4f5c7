import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { toHex } from '../../common/bytes.js';
import { VerifyError } from '../errors.js';
import { parseSimulatedEvidence, simulatedSignedMessage } from './format.js';

export interface SimulatedClaims {
  /** SHA-384 of the program files (`cloister measure`), lowercase hex */
  readonly measurement: string;
  readonly reportData: string;
  /** SHA-256 of the platform key's DER SubjectPublicKeyInfo, lowercase hex */
  readonly platformKeyFingerprint: string;
  /** Always true: these claims come from a simulated TEE and prove nothing about hardware. */
  readonly simulated: true;
}

export interface VerifiedSimulatedEvidence {
  readonly tee: 'simulated';
  readonly claims: SimulatedClaims;
}

export interface VerifySimulatedOptions {
  /** Platform public keys to trust (KeyObject or SPKI PEM). Nothing is trusted by default. */
  readonly trustedPlatformKeys: readonly (KeyObject | string)[];
  /**
   * Accepted for the shape shared by all verifiers, and unused: simulated evidence carries no
   * timestamp or certificate, so there is no validity window. Freshness comes from reportData
   * (the caller's nonce), checked by the caller's key binding.
   */
  readonly now?: Date;
}

/** SHA-256 fingerprint (lowercase hex) of a platform key's DER SubjectPublicKeyInfo. */
export function platformKeyFingerprint(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

/**
 * Verifies simulated evidence: parse -> the platform key is one of the trusted keys -> the
 * signature verifies under it. Pure (no I/O, no clock). Whether simulated evidence is
 * acceptable at all (SIMULATION_NOT_ALLOWED) is the caller's policy.
 */
export function verifySimulatedEvidence(bytes: Uint8Array, o: VerifySimulatedOptions): VerifiedSimulatedEvidence {
  return createSimulatedVerifier(o).verify(bytes);
}

/**
 * The same with the trusted keys checked and encoded once (the coordinator verifies many
 * activations against the same keys).
 */
export function createSimulatedVerifier(o: VerifySimulatedOptions): {
  verify(bytes: Uint8Array): VerifiedSimulatedEvidence;
  /** The same, with the signature check on libuv's thread pool (servers: keeps the event loop free). */
  verifyAsync(bytes: Uint8Array): Promise<VerifiedSimulatedEvidence>;
} {
  const trusted = o.trustedPlatformKeys.map((k, i) => {
    const spki = trustedSpki(k, i);
    return { spki, key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), fingerprint: platformKeyFingerprint(spki) };
  });
  /** parse -> trusted key; the signature is checked by the caller (sync or async). */
  function prepare(bytes: Uint8Array) {
    const e = parseSimulatedEvidence(bytes);
    const fingerprint = platformKeyFingerprint(e.platformKey);
    // Public keys: a plain comparison is fine (nothing secret to leak by timing).
    const match = trusted.find((t) => Buffer.compare(t.spki, e.platformKey) === 0);
    if (match === undefined) {
      throw new VerifyError(
        'SIM_PLATFORM_UNTRUSTED',
        `simulated platform key ${fingerprint} is not trusted (trusted: ${trusted.map((t) => t.fingerprint).join(', ') || 'none'})`,
        { detail: { platformKeyFingerprint: fingerprint } },
      );
    }
    return { e, fingerprint, key: match.key, message: simulatedSignedMessage(e.signedBody) };
  }
  function result(p: ReturnType<typeof prepare>, ok: boolean): VerifiedSimulatedEvidence {
    if (!ok) {
      throw new VerifyError('SIM_SIGNATURE_INVALID', `simulated evidence signature does not verify under platform key ${p.fingerprint}`, {
        detail: { platformKeyFingerprint: p.fingerprint },
      });
    }
    return {
      tee: 'simulated',
      claims: { measurement: toHex(p.e.measurement), reportData: toHex(p.e.reportData), platformKeyFingerprint: p.fingerprint, simulated: true },
    };
  }
  return {
    verify(bytes: Uint8Array): VerifiedSimulatedEvidence {
      const p = prepare(bytes);
      return result(p, verify('sha384', p.message, { key: p.key, dsaEncoding: 'ieee-p1363' }, p.e.signature));
    },
    verifyAsync(bytes: Uint8Array): Promise<VerifiedSimulatedEvidence> {
      return new Promise((resolve, reject) => {
        let p: ReturnType<typeof prepare>;
        try {
          p = prepare(bytes);
        } catch (e) {
          reject(e);
          return;
        }
        verify('sha384', p.message, { key: p.key, dsaEncoding: 'ieee-p1363' }, p.e.signature, (err, ok) => {
          if (err !== null) reject(new VerifyError('SIM_SIGNATURE_INVALID', `simulated evidence signature check failed: ${err.message}`, { cause: err }));
          else {
            try {
              resolve(result(p, ok));
            } catch (e) {
              reject(e);
            }
          }
        });
      });
    },
  };
}

function trustedSpki(k: KeyObject | string, index: number): Buffer {
  let key: KeyObject;
  try {
    key = typeof k === 'string' ? createPublicKey(k) : k.type === 'private' ? createPublicKey(k) : k;
  } catch (cause) {
    throw new VerifyError('SIM_TRUSTED_KEY_INVALID', `trusted platform key #${index + 1} is not a PEM public key`, { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new VerifyError(
      'SIM_TRUSTED_KEY_INVALID',
      `trusted platform key #${index + 1} is ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''}, want ec secp384r1`.trimEnd(),
    );
  }
  return key.export({ format: 'der', type: 'spki' });
}
