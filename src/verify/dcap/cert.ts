import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { toHex } from '../../common/bytes.js';
import { children, content, DER_TAG, DerError, expectTag, readNode, readOid, readTime, whole, type DerNode } from '../../common/der.js';
import { VerifyError, type VerifyCode } from '../errors.js';
import { keyFromSpki } from './keys.js';

/**
 * X.509 certificates read with the project's DER reader instead of X509Certificate: the hot
 * path needs only the TBS bytes, names, validity, serial and key, and parsing them this way
 * is several times cheaper than building Node's certificate object (RFC 5280 section 4.1).
 */
export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';

export interface ParsedCert {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  /** the DER ECDSA-Sig-Value from the signatureValue BIT STRING */
  readonly signature: Uint8Array;
  /** lowercase hex of the serial's magnitude (leading zero bytes dropped), as CRLs list it */
  readonly serial: string;
  /** the serial's magnitude bytes (what `serial` spells), for CRL lookups */
  readonly serialBytes: Uint8Array;
  /** exact DER of the issuer and subject Names (compared byte for byte) */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  /** the Extension SEQUENCEs of the [3] extensions field (empty when absent) */
  readonly extensions: readonly DerNode[];
}

/** Parses one DER certificate; any structural problem is a VerifyError with `code`. */
export function parseCert(der: Uint8Array, code: VerifyCode, what: string): ParsedCert {
  try {
    const root = expectTag(readNode(der, 0), DER_TAG.SEQUENCE, 'Certificate');
    if (root.end !== der.length) throw new DerError('DER_MALFORMED', `trailing bytes after the certificate`);
    const [tbsNode, algNode, sigNode, ...rest] = children(der, root);
    if (tbsNode === undefined || algNode === undefined || sigNode === undefined || rest.length > 0) {
      throw new DerError('DER_MALFORMED', 'Certificate must have 3 fields');
    }
    const tbsFields = children(der, expectTag(tbsNode, DER_TAG.SEQUENCE, 'TBSCertificate'));
    let i = 0;
    if (tbsFields[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
    const serialNode = expectTag(need(tbsFields[i++]), DER_TAG.INTEGER, 'serialNumber');
    i++; // inner signature AlgorithmIdentifier (must equal the outer one; checked below)
    const issuer = expectTag(need(tbsFields[i++]), DER_TAG.SEQUENCE, 'issuer');
    const validity = children(der, expectTag(need(tbsFields[i++]), DER_TAG.SEQUENCE, 'validity'));
    const subject = expectTag(need(tbsFields[i++]), DER_TAG.SEQUENCE, 'subject');
    const spki = expectTag(need(tbsFields[i++]), DER_TAG.SEQUENCE, 'subjectPublicKeyInfo');
    let extensions: DerNode[] = [];
    for (; i < tbsFields.length; i++) {
      const f = tbsFields[i]!;
      if (f.tag === 0xa3) extensions = children(der, expectTag(readNode(der, f.contentStart, f.end), DER_TAG.SEQUENCE, 'extensions'));
    }
    const innerAlg = tbsFields[tbsFields[0]?.tag === 0xa0 ? 2 : 1]!;
    if (!sameBytes(whole(der, innerAlg), whole(der, algNode))) throw new DerError('DER_MALFORMED', 'inner and outer signature algorithms differ');
    const serialBytes = magnitude(content(der, serialNode));
    return {
      der,
      tbs: whole(der, tbsNode),
      signatureAlgorithm: readOid(der, need(children(der, algNode)[0])),
      signature: bitStringBytes(der, sigNode),
      serial: toHex(serialBytes),
      serialBytes,
      issuer: whole(der, issuer),
      subject: whole(der, subject),
      notBefore: readTime(der, need(validity[0])),
      notAfter: readTime(der, need(validity[1])),
      spki: whole(der, spki),
      extensions,
    };
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    throw new VerifyError(code, `${what}: not a well-formed X.509 certificate (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

function need(n: DerNode | undefined): DerNode {
  if (n === undefined) throw new DerError('DER_MALFORMED', 'missing field');
  return n;
}

/** The content of a BIT STRING with zero unused bits (signatures and keys never have any). */
export function bitStringBytes(buf: Uint8Array, node: DerNode): Uint8Array {
  expectTag(node, DER_TAG.BIT_STRING, 'BIT STRING');
  const c = content(buf, node);
  if (c.length < 1 || c[0] !== 0) throw new DerError('DER_MALFORMED', 'BIT STRING with unused bits');
  return c.subarray(1);
}

/** Serial numbers compare by magnitude: drop the sign-padding zero bytes of the DER INTEGER. */
export function magnitude(bytes: Uint8Array): Uint8Array {
  let s = 0;
  while (s < bytes.length - 1 && bytes[s] === 0) s++;
  return bytes.subarray(s);
}

/** Lowercase hex of an INTEGER's magnitude, as CRLs and messages spell serials. */
export function integerHex(bytes: Uint8Array): string {
  return toHex(magnitude(bytes));
}

/** The first CN of a DER Name, or undefined. */
export function commonName(name: Uint8Array): string | undefined {
  try {
    for (const rdn of children(name, readNode(name, 0))) {
      for (const atv of children(name, rdn)) {
        const [oid, value] = children(name, atv);
        if (oid !== undefined && value !== undefined && readOid(name, oid) === OID_COMMON_NAME) {
          return Buffer.from(content(name, value)).toString('utf8');
        }
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export function publicKeyOf(cert: ParsedCert, code: VerifyCode, what: string): KeyObject {
  try {
    return keyFromSpki(cert.spki);
  } catch (cause) {
    throw new VerifyError(code, `${what}: unusable public key`, { cause });
  }
}

/** True when `signed` (TBS + ECDSA-SHA256 DER signature) verifies under `key`. */
export function signatureValid(signed: { tbs: Uint8Array; signatureAlgorithm: string; signature: Uint8Array }, key: KeyObject): boolean {
  if (signed.signatureAlgorithm !== OID_ECDSA_WITH_SHA256) return false;
  try {
    return cryptoVerify('sha256', signed.tbs, { key, dsaEncoding: 'der' }, signed.signature);
  } catch {
    return false;
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** notBefore <= now <= notAfter, else `code` naming the certificate and both bounds. */
export function checkCertTime(cert: ParsedCert, now: Date, code: VerifyCode, what: string): void {
  const t = now.getTime();
  if (t < cert.notBefore.getTime() || t > cert.notAfter.getTime()) {
    throw new VerifyError(code, `${what} validity check: now ${now.toISOString()} is outside ${cert.notBefore.toISOString()}..${cert.notAfter.toISOString()}`, {
      detail: { now: now.toISOString(), notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString() },
    });
  }
}
