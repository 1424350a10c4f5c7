import { X509Certificate } from 'node:crypto';
import { children, DER_TAG, DerError, readNode, readTime } from '../common/der.js';
import { pemBlocks } from '../common/pem.js';
import { CollateralError } from './errors.js';
import type { CollateralItem, CollateralKind } from './types.js';

/**
 * Turns served bytes into CollateralItems: checks that each piece is the format it claims to
 * be (DER CRL, X.509, PEM chain, JSON with nextUpdate) and reads the validity that drives
 * caching. No trust decision is made here; verify/ checks signatures and chains.
 */

function malformed(what: string, source: string, cause?: unknown): never {
  throw new CollateralError('COLLATERAL_RESPONSE_MALFORMED', `${what} from ${source}`, {
    detail: { url: source },
    ...(cause === undefined ? {} : { cause }),
  });
}

function earliest(dates: ReadonlyArray<Date | undefined>): Date | undefined {
  let out: Date | undefined;
  for (const d of dates) if (d !== undefined && (out === undefined || d.getTime() < out.getTime())) out = d;
  return out;
}

/**
 * CRL bytes as DER: DER passes through, a PEM "X509 CRL" block or hex text is decoded (a
 * PCCS serves /sgx/certification/v4/rootcacrl as hex text, which its clients hex-decode).
 * Real DER starts 0x30 0x8x, which is never all-hex text, so the forms cannot be confused.
 */
export function crlToDer(body: Uint8Array, what: string, source: string): Uint8Array {
  const text = Buffer.from(body.subarray(0, 64)).toString('latin1');
  const all = Buffer.from(body).toString('latin1').trim();
  if (all.length >= 2 && all.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(all)) return new Uint8Array(Buffer.from(all, 'hex'));
  if (!text.includes('-----BEGIN')) return body;
  const blocks = pemBlocks(Buffer.from(body).toString('latin1')).filter((b) => b.label === 'X509 CRL');
  if (blocks.length !== 1) malformed(`${what}: PEM holds ${blocks.length} X509 CRL blocks, want 1`, source);
  return blocks[0]!.der;
}

/** nextUpdate of a DER CRL (RFC 5280 5.1: TBSCertList version?, signature, issuer, thisUpdate, nextUpdate?). */
export function crlNextUpdate(der: Uint8Array, what: string, source: string): Date | undefined {
  try {
    const outer = readNode(der, 0);
    if (outer.tag !== DER_TAG.SEQUENCE || outer.end !== der.length) malformed(`${what}: not one DER CertificateList`, source);
    const parts = children(der, outer);
    if (parts.length !== 3 || parts[0]!.tag !== DER_TAG.SEQUENCE) malformed(`${what}: CertificateList must have 3 parts`, source);
    const tbs = children(der, parts[0]!);
    let i = tbs[0]?.tag === DER_TAG.INTEGER ? 1 : 0;
    i += 2; // signature AlgorithmIdentifier, issuer Name
    const isTime = (t: number | undefined): boolean => t === DER_TAG.UTC_TIME || t === DER_TAG.GENERALIZED_TIME;
    if (!isTime(tbs[i]?.tag)) malformed(`${what}: thisUpdate missing`, source);
    readTime(der, tbs[i]!);
    const next = tbs[i + 1];
    return next !== undefined && isTime(next.tag) ? readTime(der, next) : undefined;
  } catch (e) {
    if (e instanceof DerError) malformed(`${what}: malformed DER (${e.message})`, source, e);
    throw e;
  }
}

function parseCert(der: Uint8Array | string, what: string, source: string): X509Certificate {
  try {
    return new X509Certificate(typeof der === 'string' ? der : Buffer.from(der));
  } catch (cause) {
    return malformed(`${what}: not an X.509 certificate`, source, cause);
  }
}

function notAfter(cert: X509Certificate): Date {
  return new Date(Date.parse(cert.validTo));
}

/** Checks a PEM chain (>= `min` CERTIFICATE blocks, nothing else) and returns its earliest notAfter. */
export function chainNotAfter(pem: string, what: string, source: string, min = 1): Date | undefined {
  const blocks = pemBlocks(pem);
  if (blocks.length < min || blocks.some((b) => b.label !== 'CERTIFICATE')) {
    malformed(`${what}: want at least ${min} PEM CERTIFICATE block(s), got ${blocks.map((b) => b.label).join(', ') || 'none'}`, source);
  }
  return earliest(blocks.map((b) => notAfter(parseCert(b.pem, what, source))));
}

export function crlItem(kind: CollateralKind, body: Uint8Array, source: string, issuerChainPem?: string): CollateralItem {
  const what = kind === 'amdCrl' ? 'AMD CRL' : kind === 'pckCrl' ? 'PCK CRL' : 'root CA CRL';
  const der = crlToDer(body, what, source);
  const next = crlNextUpdate(der, what, source);
  const chainEnd = issuerChainPem === undefined ? undefined : chainNotAfter(issuerChainPem, `${what} issuer chain`, source);
  const validUntil = earliest([next, chainEnd]);
  return { kind, bytes: der, source, ...(issuerChainPem === undefined ? {} : { issuerChainPem }), ...(validUntil === undefined ? {} : { validUntil }) };
}

/**
 * A signed TCB info / identity: `text` is the exact inner object text. The JSON is parsed
 * only to read nextUpdate and for the caller's consistency checks; it is returned as parsed.
 */
export function signedJsonItem(
  kind: 'tcbInfo' | 'qeIdentity',
  text: string,
  signature: string,
  issuerChainPem: string,
  source: string,
): { item: CollateralItem; parsed: Record<string, unknown> } {
  const what = kind === 'tcbInfo' ? 'TCB info' : 'QE identity';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    malformed(`${what}: not JSON`, source, cause);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) malformed(`${what}: not a JSON object`, source);
  const obj = parsed as Record<string, unknown>;
  const nextUpdate = typeof obj.nextUpdate === 'string' ? new Date(obj.nextUpdate) : undefined;
  if (nextUpdate === undefined || Number.isNaN(nextUpdate.getTime())) malformed(`${what}: nextUpdate missing or not a time`, source);
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) malformed(`${what}: signature must be 64 bytes of hex (r||s), got ${signature.length} characters`, source);
  const validUntil = earliest([nextUpdate, chainNotAfter(issuerChainPem, `${what} issuer chain`, source)]);
  const item: CollateralItem = {
    kind,
    bytes: new TextEncoder().encode(text),
    text,
    signature: signature.toLowerCase(),
    issuerChainPem,
    source,
    ...(validUntil === undefined ? {} : { validUntil }),
  };
  return { item, parsed: obj };
}

export function certItem(body: Uint8Array, source: string): CollateralItem {
  const text = Buffer.from(body.subarray(0, 64)).toString('latin1');
  let der = body;
  if (text.includes('-----BEGIN')) {
    const blocks = pemBlocks(Buffer.from(body).toString('latin1'));
    if (blocks.length !== 1 || blocks[0]!.label !== 'CERTIFICATE') malformed('VCEK: want one PEM CERTIFICATE', source);
    der = blocks[0]!.der;
  }
  const cert = parseCert(der, 'VCEK', source);
  return { kind: 'amdVek', bytes: der, source, validUntil: notAfter(cert) };
}

export function certChainItem(body: Uint8Array, source: string): CollateralItem {
  const text = Buffer.from(body).toString('utf8');
  // KDS cert_chain is exactly AS(V)K then ARK (go-sev-guest kds/kds.go ParseProductCertChain).
  const validUntil = chainNotAfter(text, 'AMD certificate chain', source, 2);
  if (pemBlocks(text).length !== 2) malformed('AMD certificate chain: want exactly 2 certificates (AS(V)K, ARK)', source);
  return { kind: 'amdCertChain', bytes: body, text, source, ...(validUntil === undefined ? {} : { validUntil }) };
}
