import type { KeyObject } from 'node:crypto';
import { pemBlocks } from '../../common/pem.js';
import { VerifyError, type VerifyCode } from '../errors.js';
import { checkCertTime, commonName, parseCert, publicKeyOf, sameBytes, signatureValid, type ParsedCert } from './cert.js';
import { CA_KEYS, type KeyCache } from './keys.js';

/**
 * Certificate chains as Intel ships them: PEM, leaf first, ending at the self-signed Intel SGX
 * Root CA. The root is trusted only when its DER equals a trust root byte for byte (as Intel
 * QVL's PckCertVerifier compares the root with the trusted one and dcap-qvl uses it as a
 * webpki trust anchor); every other link is checked by issuer name + ECDSA-SHA256 signature.
 */
export interface VerifiedChain {
  /** leaf first, root last */
  readonly certs: readonly ParsedCert[];
  /** the public key of each certificate, same order */
  readonly keys: readonly KeyObject[];
}

/** Splits a PEM chain into parsed certificates (leaf first). */
export function parsePemChain(pem: string | Uint8Array, code: VerifyCode, what: string): ParsedCert[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1');
  const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new VerifyError(code, `${what}: no PEM certificate found`);
  return blocks.map((b, i) => parseCert(b.der, code, `${what} certificate #${i + 1}`));
}

/** The trust root `cert` equals byte for byte, or undefined. */
export function findTrustRoot(cert: ParsedCert, trustRoots: readonly Uint8Array[]): Uint8Array | undefined {
  return trustRoots.find((r) => sameBytes(r, cert.der));
}

/**
 * Time-independent checks: the chain has `length` certificates, each is issued and signed by
 * the next, and the last one is a trust root. Validity windows are checked per call
 * (checkChainTimes) because `now` changes while the verified chain stays cached.
 */
export function verifyChainLinks(
  certs: readonly ParsedCert[],
  trustRoots: readonly Uint8Array[],
  o: { code: VerifyCode; what: string; length: number; keys?: KeyCache },
): VerifiedChain {
  if (certs.length !== o.length) throw new VerifyError(o.code, `${o.what} length check: got ${certs.length} certificates, want ${o.length}`);
  const root = certs[certs.length - 1]!;
  if (findTrustRoot(root, trustRoots) === undefined) {
    throw new VerifyError(o.code, `${o.what} trust check: root '${commonName(root.subject) ?? '?'}' (serial ${root.serial}) is not a trusted root`);
  }
  const keys = certs.map((c, i) => {
    const make = () => publicKeyOf(c, o.code, `${o.what} certificate #${i + 1}`);
    // CA keys by default; a leaf-first chain's leaf is a CA-issued signing certificate here
    // (TCB signing / PCK CA), of which there are few.
    return (o.keys ?? CA_KEYS).get(c.spki, make);
  });
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
