import type { KeyObject } from 'node:crypto';
import { toHex } from '../../common/bytes.js';
import { children, DER_TAG, DerError, expectTag, readNode, readOid, readTime, whole, type DerNode } from '../../common/der.js';
import { pemBlocks } from '../../common/pem.js';
import { VerifyError } from '../errors.js';
import { bitStringBytes, commonName, sameBytes, signatureValid, type ParsedCert } from './cert.js';

/**
 * X.509 CRLs (RFC 5280 section 5.1) read with the DER reader: issuer, thisUpdate/nextUpdate,
 * revoked serials, and the signed TBS bytes. Intel publishes the Root CA CRL and the PCK
 * Processor/Platform CA CRLs in this form (DER, or PEM from a PCCS).
 */
export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** serial magnitudes, lowercase hex (see cert.ts integerHex); built on first access */
  readonly revoked: ReadonlySet<string>;
  /** true when the CRL lists the serial magnitude `serial` (bytes, leading zeros dropped; `hex` = its lowercase hex when known) */
  lists(serial: Uint8Array, hex?: string): boolean;
}

/**
 * The revoked-serial list is read lazily: parsing checks every entry's structure and records
 * where each serial's magnitude lies, without rendering any of them. A lookup scans those
 * spans byte by byte; a CRL that is looked up repeatedly (kept in a verifier's cache) gets a
 * hashed index after a few lookups, so large CRLs stay cheap on the hot path.
 */
class LazyCrl implements ParsedCrl {
  private index: Set<string> | undefined;
  private lookups = 0;
  constructor(
    readonly der: Uint8Array,
    readonly tbs: Uint8Array,
    readonly signatureAlgorithm: string,
    readonly signature: Uint8Array,
    readonly issuer: Uint8Array,
    readonly thisUpdate: Date,
    readonly nextUpdate: Date,
    /** [start, end) offsets in `der` of each listed serial's magnitude */
    private readonly spans: readonly number[],
  ) {}

  get revoked(): ReadonlySet<string> {
    this.index ??= this.buildIndex();
    return this.index;
  }

  lists(serial: Uint8Array, hex?: string): boolean {
    if (this.index === undefined && ++this.lookups > 2) this.index = this.buildIndex();
    if (this.index !== undefined) return this.index.has(hex ?? toHex(serial));
    const d = this.der;
    for (let i = 0; i < this.spans.length; i += 2) {
      const start = this.spans[i]!;
      const end = this.spans[i + 1]!;
      if (end - start !== serial.length) continue;
      let j = 0;
      while (j < serial.length && d[start + j] === serial[j]) j++;
      if (j === serial.length) return true;
    }
    return false;
  }

  private buildIndex(): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < this.spans.length; i += 2) out.add(toHex(this.der.subarray(this.spans[i]!, this.spans[i + 1]!)));
    return out;
  }
}

/** Accepts DER bytes, PEM text/bytes, or hex DER text (the bundle's spelling). */
export function crlDer(input: Uint8Array | string, what: string): Uint8Array {
  const text = typeof input === 'string' ? input : undefined;
  if (text !== undefined) {
    const t = text.trim();
    if (t.startsWith('-----BEGIN')) return onePem(t, what);
    // Node's hex decoder stops at the first non-hex pair, so a full-length result is strict hex.
    const bytes = t.length % 2 === 0 ? Buffer.from(t, 'hex') : undefined;
    if (bytes === undefined || bytes.length === 0 || bytes.length * 2 !== t.length) throw new VerifyError('CRL_INVALID', `${what}: neither PEM nor hex DER`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  if (input.length > 0 && input[0] === 0x30) return input as Uint8Array;
  return crlDer(Buffer.from(input as Uint8Array).toString('latin1'), what);
}

function onePem(text: string, what: string): Uint8Array {
  const blocks = pemBlocks(text).filter((b) => b.label === 'X509 CRL');
  if (blocks.length !== 1) throw new VerifyError('CRL_INVALID', `${what}: want exactly one 'X509 CRL' PEM block, got ${blocks.length}`);
  return blocks[0]!.der;
}

export function parseCrl(input: Uint8Array | string, what: string): ParsedCrl {
  const der = crlDer(input, what);
  try {
    const root = expectTag(readNode(der, 0), DER_TAG.SEQUENCE, 'CertificateList');
    if (root.end !== der.length) throw new DerError('DER_MALFORMED', 'trailing bytes after the CRL');
    const [tbsNode, algNode, sigNode, ...rest] = children(der, root);
    if (tbsNode === undefined || algNode === undefined || sigNode === undefined || rest.length > 0) throw new DerError('DER_MALFORMED', 'CRL must have 3 fields');
    const f = children(der, expectTag(tbsNode, DER_TAG.SEQUENCE, 'TBSCertList'));
    let i = 0;
    if (f[0]?.tag === DER_TAG.INTEGER) i++; // version v2
    i++; // signature AlgorithmIdentifier
    const issuer = expectTag(need(f[i++]), DER_TAG.SEQUENCE, 'issuer');
    const thisUpdate = readTime(der, need(f[i++]));
    const next = f[i];
    if (next === undefined || (next.tag !== DER_TAG.UTC_TIME && next.tag !== DER_TAG.GENERALIZED_TIME)) {
      // RFC 5280 makes nextUpdate optional; Intel always sets it, and without it no freshness can be judged.
      throw new DerError('DER_MALFORMED', 'nextUpdate is missing');
    }
    const nextUpdate = readTime(der, next);
    i++;
    const spans: number[] = [];
    const list = f[i];
    if (list !== undefined && list.tag === DER_TAG.SEQUENCE) {
      // Each entry: SEQUENCE { userCertificate INTEGER, revocationDate, ... }; only the serial is needed.
      for (let p = list.contentStart; p < list.end; ) {
        const entry = expectTag(readNode(der, p, list.end), DER_TAG.SEQUENCE, 'revokedCertificate');
        const serial = expectTag(need(children(der, entry)[0]), DER_TAG.INTEGER, 'userCertificate');
        let s = serial.contentStart;
        while (s < serial.end - 1 && der[s] === 0) s++; // magnitude, as integerHex
        spans.push(s, serial.end);
        p = entry.end;
      }
    }
    return new LazyCrl(der, whole(der, tbsNode), readOid(der, need(children(der, algNode)[0])), bitStringBytes(der, sigNode), whole(der, issuer), thisUpdate, nextUpdate, spans);
  } catch (e) {
    throw new VerifyError('CRL_INVALID', `${what}: not a well-formed X.509 CRL (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

function need(n: DerNode | undefined): DerNode {
  if (n === undefined) throw new DerError('DER_MALFORMED', 'missing field');
  return n;
}

/** Issuer name and signature: the CRL must come from `issuer` (time-independent, cacheable). */
export function checkCrlIssuer(crl: ParsedCrl, issuer: ParsedCert, issuerKey: KeyObject, what: string): void {
  if (!sameBytes(crl.issuer, issuer.subject)) {
    throw new VerifyError('CRL_INVALID', `${what} issuer check: got '${commonName(crl.issuer) ?? '?'}', want '${commonName(issuer.subject) ?? '?'}'`);
  }
  if (!signatureValid(crl, issuerKey)) {
    throw new VerifyError('CRL_INVALID', `${what} signature check: not signed by '${commonName(issuer.subject) ?? '?'}'`);
  }
}

/** thisUpdate <= now <= nextUpdate. */
export function checkCrlTime(crl: ParsedCrl, now: Date, what: string): void {
  const t = now.getTime();
  if (t < crl.thisUpdate.getTime() || t > crl.nextUpdate.getTime()) {
    throw new VerifyError('CRL_EXPIRED', `${what} freshness check: now ${now.toISOString()} is outside ${crl.thisUpdate.toISOString()}..${crl.nextUpdate.toISOString()}`, {
      detail: { now: now.toISOString(), thisUpdate: crl.thisUpdate.toISOString(), nextUpdate: crl.nextUpdate.toISOString() },
    });
  }
}

export function checkNotRevoked(crl: ParsedCrl, cert: ParsedCert, what: string): void {
  if (crl.lists(cert.serialBytes, cert.serial)) {
    throw new VerifyError('CRL_REVOKED', `${what} revocation check: serial ${cert.serial} is listed by the CRL of '${commonName(crl.issuer) ?? '?'}'`, {
      detail: { serial: cert.serial },
    });
  }
}
