import { X509Certificate, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { children, readNode } from '../src/common/der.js';
import { pemBlocks } from '../src/common/pem.js';
import { parseDcapQuote, pckChainPem } from '../src/evidence/dcap/index.js';
import { parseSnpReport } from '../src/evidence/snp/index.js';
import type { BenchCase } from './inputs.js';

/**
 * The floor: the raw node:crypto signature verifications that verifying a case cannot avoid,
 * on the same inputs, with every key imported beforehand (KeyObjects). Everything else
 * Cloister does (parsing, key import, DER walking, TCB matching) is overhead over this.
 *
 * Not in the floor: self-signatures of pinned roots (Intel SGX Root CA, AMD ARK). A pinned
 * root is trusted by its exact bytes, so checking its self-signature proves nothing; and a
 * certificate that appears in two issuer chains (the TCB signing certificate of TCB info and
 * QE identity) counts once.
 */
export interface FloorCheck {
  readonly what: string;
  readonly run: () => boolean;
}

export interface Floor {
  /** cold collateral: every certificate, CRL, collateral item and per-quote signature */
  readonly cold: readonly FloorCheck[];
  /** cached collateral/certificates: only the signatures that differ per quote/report */
  readonly cached: readonly FloorCheck[];
}

/** tbs, signature algorithm OID bytes and signature of a certificate or CRL (same outer shape). */
function signedParts(der: Uint8Array): { tbs: Uint8Array; sig: Uint8Array; pss: boolean } {
  const outer = readNode(der, 0);
  const [tbs, alg, sig] = children(der, outer);
  const algDer = der.subarray(alg!.start, alg!.end);
  // 1.2.840.113549.1.1.10 (RSASSA-PSS) = 06 09 2a 86 48 86 f7 0d 01 01 0a
  const pss = Buffer.from(algDer).includes(Buffer.from('06092a864886f70d01010a', 'hex'));
  return { tbs: der.subarray(tbs!.start, tbs!.end), sig: der.subarray(sig!.contentStart + 1, sig!.end), pss };
}

function derOf(text: string | null | undefined): Uint8Array | undefined {
  if (text === null || text === undefined) return undefined;
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return pemBlocks(t)[0]!.der;
  return new Uint8Array(Buffer.from(t, 'hex'));
}

function certCheck(what: string, der: Uint8Array, issuer: KeyObject, hash: 'sha256' | 'sha384'): FloorCheck {
  const p = signedParts(der);
  const key = p.pss ? { key: issuer, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 48 } : issuer;
  if (!verify(hash, p.tbs, key, p.sig)) throw new Error(`floor: ${what} does not verify`);
  return { what, run: () => verify(hash, p.tbs, key, p.sig) };
}

function rawCheck(what: string, data: Uint8Array, sig: Uint8Array, key: KeyObject, hash: 'sha256' | 'sha384'): FloorCheck {
  const k = { key, dsaEncoding: 'ieee-p1363' as const };
  if (!verify(hash, data, k, sig)) throw new Error(`floor: ${what} does not verify`);
  return { what, run: () => verify(hash, data, k, sig) };
}

const keyOf = (der: Uint8Array): KeyObject => new X509Certificate(Buffer.from(der)).publicKey;

function p256(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(raw.subarray(0, 32)).toString('base64url'), y: Buffer.from(raw.subarray(32)).toString('base64url') }, format: 'jwk' });
}

export function dcapFloor(c: BenchCase): Floor {
  const quote = parseDcapQuote(c.evidence);
  const b = JSON.parse(c.collateral!) as Record<string, string | null>;
  const [leaf, pckCa, root] = pemBlocks(Buffer.from(pckChainPem(quote)!).toString('latin1')).map((x) => x.der);
  const [tcbSigner] = pemBlocks(b['tcb_info_issuer_chain']!).map((x) => x.der);
  const [qeSigner] = pemBlocks(b['qe_identity_issuer_chain']!).map((x) => x.der);
  const rootKey = keyOf(root!);
  const qe = quote.signatureData.qeReportCertData;
  const perQuote = [
    rawCheck('QE report (PCK key)', qe.qeReportBytes, qe.qeReportSignature, keyOf(leaf!), 'sha256'),
    rawCheck('quote (attestation key)', quote.signedBytes, quote.signatureData.signature, p256(quote.signatureData.attestationKey), 'sha256'),
  ];
  const cold: FloorCheck[] = [
    certCheck('PCK leaf (PCK CA)', leaf!, keyOf(pckCa!), 'sha256'),
    certCheck('PCK CA (root)', pckCa!, rootKey, 'sha256'),
    certCheck('TCB signing cert (root)', tcbSigner!, rootKey, 'sha256'),
    ...(Buffer.compare(tcbSigner!, qeSigner!) === 0 ? [] : [certCheck('QE identity signing cert (root)', qeSigner!, rootKey, 'sha256')]),
    rawCheck('TCB info JSON', Buffer.from(b['tcb_info']!, 'utf8'), Buffer.from(b['tcb_info_signature']!, 'hex'), keyOf(tcbSigner!), 'sha256'),
    rawCheck('QE identity JSON', Buffer.from(b['qe_identity']!, 'utf8'), Buffer.from(b['qe_identity_signature']!, 'hex'), keyOf(qeSigner!), 'sha256'),
  ];
  const rootCrl = derOf(b['root_ca_crl']);
  const pckCrl = derOf(b['pck_crl']);
  if (rootCrl !== undefined) cold.push(certCheck('root CA CRL (root)', rootCrl, rootKey, 'sha256'));
  if (pckCrl !== undefined) cold.push(certCheck('PCK CRL (PCK CA)', pckCrl, keyOf(pckCa!), 'sha256'));
  return { cold: [...cold, ...perQuote], cached: perQuote };
}

export function snpFloor(c: BenchCase): Floor {
  const report = parseSnpReport(c.evidence);
  const certs = c.certs!.flatMap((blob) => (Buffer.from(blob.subarray(0, 11)).toString('latin1') === '-----BEGIN ' ? pemBlocks(Buffer.from(blob).toString('latin1')).map((x) => x.der) : [blob]));
  const parsed = certs.map((der) => ({ der, cert: new X509Certificate(Buffer.from(der)) }));
  const vek = parsed.find((x) => /SEV-(VCEK|VLEK)/.test(x.cert.subject))!;
  const ask = parsed.find((x) => x !== vek && vek.cert.checkIssued(x.cert))!;
  const ark = parsed.find((x) => x !== ask && x !== vek && ask.cert.checkIssued(x.cert))!;
  // r and s are 72-byte little-endian at 0x2A0; P-384 uses the low 48 bytes of each (AMD SEV-SNP ABI).
  const sig = report.bytes.subarray(0x2a0, 0x2a0 + 144);
  const r = Buffer.from(sig.subarray(0, 48)).reverse();
  const s = Buffer.from(sig.subarray(72, 120)).reverse();
  const perReport = [rawCheck('report (VCEK, P-384)', report.bytes.subarray(0, 0x2a0), Buffer.concat([r, s]), vek.cert.publicKey, 'sha384')];
  return {
    cold: [certCheck('VCEK (ASK, RSA-PSS)', vek.der, ask.cert.publicKey, 'sha384'), certCheck('ASK (ARK, RSA-PSS)', ask.der, ark.cert.publicKey, 'sha384'), ...perReport],
    cached: perReport,
  };
}

/** One call = every check of the list once. */
export function runAll(checks: readonly FloorCheck[]): () => void {
  return () => {
    for (const c of checks) if (!c.run()) throw new Error(`floor: ${c.what} failed`);
  };
}
