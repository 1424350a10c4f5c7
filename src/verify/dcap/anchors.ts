import type { KeyObject, X509Certificate } from 'node:crypto';
import { VerifyError } from '../errors.js';
import { parseCert, sameBytes, type ParsedCert } from './cert.js';
import { keyFromSpki } from './keys.js';
import { INTEL_SGX_ROOT_CA } from './roots.js';

/**
 * Trust anchors: a trusted root's DER, its parsed form and its imported public key. The pinned
 * Intel SGX Root CA is a constant of the program, so it is parsed and its key imported once at
 * module load; roots a caller adds are parsed and imported once per verifier. A chain's last
 * certificate is trusted only when its DER equals an anchor's byte for byte, and then the
 * anchor's parsed certificate and key are used (the bytes are the same, so is the answer).
 */
export interface TrustAnchor {
  readonly cert: ParsedCert;
  readonly key: KeyObject;
}

function anchorOf(der: Uint8Array, what: string): TrustAnchor {
  const cert = parseCert(der, 'TRUST_ROOT_INVALID', what);
  try {
    return { cert, key: keyFromSpki(cert.spki) };
  } catch (cause) {
    throw new VerifyError('TRUST_ROOT_INVALID', `${what}: unusable public key`, { cause });
  }
}

export const PINNED_INTEL_ROOT: TrustAnchor = anchorOf(new Uint8Array(INTEL_SGX_ROOT_CA.raw), 'Intel SGX Root CA');

const DEFAULT_ANCHORS: readonly TrustAnchor[] = Object.freeze([PINNED_INTEL_ROOT]);

/** Anchors for `trustRoots` (default: the pinned Intel root only); a root equal to the pinned one reuses it. */
export function trustAnchors(trustRoots: readonly X509Certificate[] | undefined): readonly TrustAnchor[] {
  if (trustRoots === undefined) return DEFAULT_ANCHORS;
  return trustRoots.map((r, i) => {
    const der = new Uint8Array(r.raw);
    return sameBytes(der, PINNED_INTEL_ROOT.cert.der) ? PINNED_INTEL_ROOT : anchorOf(der, `trust root #${i + 1}`);
  });
}

/** The anchor whose certificate is exactly `der`, or undefined. */
export function anchorFor(der: Uint8Array, anchors: readonly TrustAnchor[]): TrustAnchor | undefined {
  for (const a of anchors) if (sameBytes(a.cert.der, der)) return a;
  return undefined;
}
