import { X509Certificate, constants, verify as cryptoVerify } from 'node:crypto';
import { DER_TAG, DerError, children, content, expectTag, readNode, readOid, readSmallInt, readTime, whole, type DerNode } from '../../common/der.js';
import { pemBlocks } from '../../common/pem.js';
import { VerifyError } from '../errors.js';

/**
 * The AMD KDS CRL (https://kdsintf.amd.com/vcek/v1/{product}/crl): an X.509 v2 CRL signed by
 * the product's ARK with RSASSA-PSS/SHA-384 (go-sev-guest verify/verify.go VerifyCrl). Parsed
 * with the DER reader: only the fields the check needs.
 */
export interface SnpCrl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** normalized serials: lowercase hex without leading zeros ('0' for zero) */
  readonly revokedSerials: ReadonlySet<string>;
  readonly signatureAlgorithm: Uint8Array;
  readonly signature: Uint8Array;
}

const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_SHA384 = '2.16.840.1.101.3.4.2.2';

function invalid(message: string, cause?: unknown): never {
  throw new VerifyError('SNP_CRL_INVALID', `AMD CRL: ${message}`, cause === undefined ? undefined : { cause });
}

/** Lowercase hex of a non-negative serial without leading zeros, so DER and node spellings compare. */
export function normalizeSerial(hex: string): string {
  const s = hex.toLowerCase().replace(/^0+/, '');
  return s === '' ? '0' : s;
}

/** Parses a CRL given as DER or PEM ('X509 CRL'). */
export function parseSnpCrl(bytes: Uint8Array): SnpCrl {
  let der = bytes;
  const text = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 64))).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const block = pemBlocks(Buffer.from(bytes).toString('latin1')).find((b) => b.label === 'X509 CRL');
    if (block === undefined) invalid('PEM input holds no X509 CRL block');
    der = block.der;
  }
  try {
    const top = expectTag(readNode(der, 0), DER_TAG.SEQUENCE, 'CertificateList');
    if (top.end !== der.length) invalid('trailing bytes after the CRL');
    const [tbsNode, algNode, sigNode] = children(der, top);
    if (tbsNode === undefined || algNode === undefined || sigNode === undefined) invalid('CertificateList needs 3 parts');
    const tbsParts = children(der, expectTag(tbsNode, DER_TAG.SEQUENCE, 'TBSCertList'));
    let i = 0;
    if (tbsParts[i]?.tag === DER_TAG.INTEGER) i++; // version v2
    const innerAlg = tbsParts[i++];
    const issuer = tbsParts[i++];
    const thisUpdate = tbsParts[i++];
    if (innerAlg === undefined || issuer === undefined || thisUpdate === undefined) invalid('TBSCertList is truncated');
    let nextUpdate: DerNode | undefined;
    const maybeNext = tbsParts[i];
    if (maybeNext !== undefined && (maybeNext.tag === DER_TAG.UTC_TIME || maybeNext.tag === DER_TAG.GENERALIZED_TIME)) {
      nextUpdate = maybeNext;
      i++;
    }
    const revoked = new Set<string>();
    const maybeList = tbsParts[i];
    if (maybeList !== undefined && maybeList.tag === DER_TAG.SEQUENCE) {
      for (const entry of children(der, maybeList)) {
        const serial = expectTag(children(der, expectTag(entry, DER_TAG.SEQUENCE, 'revoked entry'))[0] ?? invalid('empty revoked entry'), DER_TAG.INTEGER, 'userCertificate');
        revoked.add(normalizeSerial(Buffer.from(content(der, serial)).toString('hex')));
      }
    }
    // The signature algorithm inside and outside the signed part must agree (RFC 5280 5.1.1.2).
    if (Buffer.compare(whole(der, innerAlg), whole(der, algNode)) !== 0) invalid('signature algorithm differs inside and outside tbsCertList');
    const sig = content(der, expectTag(sigNode, DER_TAG.BIT_STRING, 'signatureValue'));
    if (sig.length < 2 || sig[0] !== 0) invalid('signatureValue has unused bits');
    return {
      der,
      tbs: whole(der, tbsNode),
      issuer: whole(der, issuer),
      thisUpdate: readTime(der, thisUpdate),
      nextUpdate: nextUpdate === undefined ? undefined : readTime(der, nextUpdate),
      revokedSerials: revoked,
      signatureAlgorithm: whole(der, algNode),
      signature: sig.subarray(1),
    };
  } catch (e) {
    if (e instanceof DerError) invalid('malformed DER', e);
    throw e;
  }
}

/** RSASSA-PSS parameters (RFC 4055): hash must be SHA-384; returns the salt length (default 20). */
function pssSaltLength(alg: Uint8Array): number {
  const parts = children(alg, readNode(alg, 0));
  if (parts[0] === undefined || readOid(alg, parts[0]) !== OID_RSASSA_PSS) invalid('signature algorithm is not RSASSA-PSS');
  const params = parts[1];
  if (params === undefined || params.tag !== DER_TAG.SEQUENCE) invalid('RSASSA-PSS parameters are missing');
  let hashOk = false;
  let salt = 20;
  for (const p of children(alg, params)) {
    const inner = children(alg, p)[0];
    if (inner === undefined) continue;
    if (p.tag === 0xa0) hashOk = readOid(alg, children(alg, inner)[0] ?? invalid('empty hash algorithm')) === OID_SHA384;
    if (p.tag === 0xa2) salt = readSmallInt(alg, inner);
  }
  if (!hashOk) invalid('RSASSA-PSS hash is not SHA-384');
  return salt;
}

/** Signature by `ark`, issuer name and window (thisUpdate <= now <= nextUpdate) of a parsed CRL. */
export function checkSnpCrl(crl: SnpCrl, ark: X509Certificate, arkSubjectDer: Uint8Array, now: Date): void {
  let ok = false;
  try {
    const saltLength = pssSaltLength(crl.signatureAlgorithm);
    ok = cryptoVerify('sha384', crl.tbs, { key: ark.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, crl.signature);
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    if (e instanceof DerError) invalid('malformed signature algorithm', e);
    ok = false;
  }
  if (!ok) invalid('signature does not verify with the ARK');
  if (Buffer.compare(crl.issuer, arkSubjectDer) !== 0) invalid('issuer is not the ARK');
  if (now < crl.thisUpdate) invalid(`not yet valid: thisUpdate ${crl.thisUpdate.toISOString()}, now ${now.toISOString()}`);
  if (crl.nextUpdate === undefined) invalid('nextUpdate is missing');
  if (now > crl.nextUpdate) invalid(`expired: nextUpdate ${crl.nextUpdate.toISOString()}, now ${now.toISOString()}`);
}
