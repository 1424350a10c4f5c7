import type { KeyObject } from 'node:crypto';
import { VerifyError, type VerifyCode } from '../errors.js';
import { anchorFor, type TrustAnchor } from './anchors.js';
import { checkCertTime, commonName, parseCert, publicKeyOf, sameBytes, signatureValid, type ParsedCert } from './cert.js';
import type { KeyCache } from './keys.js';

/**
 * Certificate chains as Intel ships them: PEM, leaf first, ending at the self-signed Intel SGX
 * Root CA. The root is trusted only when its DER equals a trust anchor byte for byte (as Intel
 * QVL's PckCertVerifier compares the root with the trusted one and dcap-qvl uses it as a
 * webpki trust anchor); every other link is checked by issuer name + ECDSA-SHA256 signature.
 */
export interface VerifiedChain {
  /** leaf first, root last */
  readonly certs: readonly ParsedCert[];
  /** the public key of each certificate, same order (the root's is its anchor's) */
  readonly keys: readonly KeyObject[];
}

// Same grammar as src/common/pem.ts pemBlocks; Node's base64 decoder skips the line breaks
// itself, so the body is not copied once more to strip them.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Splits a PEM chain into parsed certificates (leaf first). A block whose DER equals a trust
 * anchor yields the anchor's parsed certificate (same bytes, parsed once per program).
 */
export function parsePemChain(pem: string | Uint8Array, code: VerifyCode, what: string, anchors: readonly TrustAnchor[] = []): ParsedCert[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1');
  const out: ParsedCert[] = [];
  PEM_BLOCK.lastIndex = 0;
  for (let m = PEM_BLOCK.exec(text); m !== null; m = PEM_BLOCK.exec(text)) {
    if (m[1] !== 'CERTIFICATE') continue;
    const der: Uint8Array = Buffer.from(m[2]!, 'base64');
    out.push(anchorFor(der, anchors)?.cert ?? parseCert(der, code, `${what} certificate #${out.length + 1}`));
  }
  if (out.length === 0) throw new VerifyError(code, `${what}: no PEM certificate found`);
  return out;
}

/**
 * Time-independent checks: the chain has `length` certificates, each is issued and signed by
 * the next, and the last one is a trust anchor. Validity windows are checked per call
 * (checkChainTimes) because `now` changes while the verified chain stays cached. Keys of the
 * non-root certificates come from `keys` (the verifier's own CA key cache).
 */
export function verifyChainLinks(
  certs: readonly ParsedCert[],
  anchors: readonly TrustAnchor[],
  o: { code: VerifyCode; what: string; length: number; keys: KeyCache },
): VerifiedChain {
  if (certs.length !== o.length) throw new VerifyError(o.code, `${o.what} length check: got ${certs.length} certificates, want ${o.length}`);
  const root = certs[certs.length - 1]!;
  const anchor = anchorFor(root.der, anchors);
  if (anchor === undefined) {
    throw new VerifyError(o.code, `${o.what} trust check: root '${commonName(root.subject) ?? '?'}' (serial ${root.serial}) is not a trusted root`);
  }
  const keys = certs.map((c, i) => (i === certs.length - 1 ? anchor.key : o.keys.get(c.spki, () => publicKeyOf(c, o.code, `${o.what} certificate #${i + 1}`))));
  for (let i = 0; i < certs.length - 1; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (!sameBytes(child.issuer, parent.subject)) {
      throw new VerifyError(o.code, `${o.what} issuer check: certificate #${i + 1} is issued by '${commonName(child.issuer) ?? '?'}', want '${commonName(parent.subject) ?? '?'}'`);
    }
    if (!signatureValid(child, keys[i + 1]!)) {
      throw new VerifyError(o.code, `${o.what} signature check: certificate #${i + 1} ('${commonName(child.subject) ?? '?'}') is not signed by '${commonName(parent.subject) ?? '?'}'`);
    }
  }
  return { certs, keys };
}

export function checkChainTimes(certs: readonly ParsedCert[], now: Date, code: VerifyCode, what: string): void {
  const t = now.getTime();
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i]!;
    // Names are rendered only on failure: this runs on every (cached) verification.
    if (t < c.notBefore.getTime() || t > c.notAfter.getTime()) checkCertTime(c, now, code, `${what} certificate #${i + 1} ('${commonName(c.subject) ?? '?'}')`);
  }
}
