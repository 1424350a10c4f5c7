import { X509Certificate, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { children, readNode } from '../src/common/der.js';
import { pemBlocks } from '../src/common/pem.js';
import { parseDcapQuote, pckChainPem } from '../src/evidence/dcap/index.js';
import { parseSnpReport } from '../src/evidence/snp/index.js';
import type { BenchCase } from './inputs.js';

/**
 * The floor: what node:crypto cannot avoid on the same inputs, measured in the same run.
 *
 * DCAP cold: every signature verification PLUS importing every non-pinned verifying key that
 * the input carries (PCK leaf, PCK CA, TCB signing certificate, attestation key; the QE
 * identity signer too when it is another certificate), each through the fastest node:crypto
 * path (createPublicKey from a prepared JWK object), freshly every call: node:crypto cannot
 * verify without a key object, and a cold verification cannot have one yet. The fresh keys are
 * the ones used for the verifications, so the first-use cost of a new key counts as it does
 * for any verifier. The pinned Intel SGX Root CA key is imported once beforehand (a program
 * constant). DCAP cached: the two per-quote verifications (QE report, quote) with keys
 * imported beforehand (a verifier may keep keys per exact bytes: they repeat per platform).
 *
 * SEV-SNP: signature verifications only, with keys imported beforehand (stricter than the DCAP
 * definition: the VCEK import is not counted).
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

export interface FloorRun {
  /** one call = the whole floor once */
  readonly run: () => void;
  /** printed next to the figure, e.g. "9 sig + 4 key imports" */
  readonly composition: string;
  /** the items, for documentation */
  readonly items: readonly string[];
}

export interface Floor {
  /** cold collateral: every certificate, CRL, collateral item and per-quote signature (+ key imports for DCAP) */
  readonly cold: FloorRun;
  /** cached collateral/certificates: only the signatures that differ per quote/report */
  readonly cached: FloorRun;
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

/** The JWK of a P-256 key: prepared once, so the floor times only createPublicKey itself. */
function p256Jwk(raw: Uint8Array): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  return { kty: 'EC', crv: 'P-256', x: Buffer.from(raw.subarray(0, 32)).toString('base64url'), y: Buffer.from(raw.subarray(32, 64)).toString('base64url') };
}

/** x||y of a certificate's P-256 key (the last 64 bytes of its uncompressed SPKI point). */
function certPoint(der: Uint8Array): Uint8Array {
  const spki = Buffer.from(keyOf(der).export({ format: 'der', type: 'spki' }));
  if (spki.length !== 91 || spki[26] !== 0x04) throw new Error('floor: not an uncompressed P-256 key');
  return spki.subarray(27);
}

const importJwk = (jwk: ReturnType<typeof p256Jwk>): KeyObject => createPublicKey({ key: jwk, format: 'jwk' });

/** A signed item checked with a key imported in the same call (cold floor). */
interface ColdItem {
  readonly what: string;
  /** which freshly imported key verifies it ('root' = the pinned root key) */
  readonly key: string;
  readonly data: Uint8Array;
  readonly sig: Uint8Array;
  readonly dsaEncoding: 'der' | 'ieee-p1363';
}

function certItem(what: string, der: Uint8Array, key: string): ColdItem {
  const p = signedParts(der);
  return { what, key, data: p.tbs, sig: p.sig, dsaEncoding: 'der' };
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
    rawCheck('quote (attestation key)', quote.signedBytes, quote.signatureData.signature, importJwk(p256Jwk(quote.signatureData.attestationKey)), 'sha256'),
  ];
  const sameSigner = Buffer.compare(tcbSigner!, qeSigner!) === 0;
  // Keys the input carries, imported fresh on every cold call.
  const jwks: Record<string, ReturnType<typeof p256Jwk>> = {
    'PCK CA': p256Jwk(certPoint(pckCa!)),
    'TCB signing cert': p256Jwk(certPoint(tcbSigner!)),
    ...(sameSigner ? {} : { 'QE identity signing cert': p256Jwk(certPoint(qeSigner!)) }),
    'PCK leaf': p256Jwk(certPoint(leaf!)),
    attestation: p256Jwk(quote.signatureData.attestationKey),
  };
  const raw = (what: string, key: string, data: Uint8Array, sig: Uint8Array): ColdItem => ({ what, key, data, sig, dsaEncoding: 'ieee-p1363' });
  const items: ColdItem[] = [
    certItem('PCK leaf (by PCK CA)', leaf!, 'PCK CA'),
    certItem('PCK CA (by root)', pckCa!, 'root'),
    certItem('TCB signing cert (by root)', tcbSigner!, 'root'),
    ...(sameSigner ? [] : [certItem('QE identity signing cert (by root)', qeSigner!, 'root')]),
    raw('TCB info JSON', 'TCB signing cert', Buffer.from(b['tcb_info']!, 'utf8'), Buffer.from(b['tcb_info_signature']!, 'hex')),
    raw('QE identity JSON', sameSigner ? 'TCB signing cert' : 'QE identity signing cert', Buffer.from(b['qe_identity']!, 'utf8'), Buffer.from(b['qe_identity_signature']!, 'hex')),
  ];
  const rootCrl = derOf(b['root_ca_crl']);
  const pckCrl = derOf(b['pck_crl']);
  if (rootCrl !== undefined) items.push(certItem('root CA CRL (by root)', rootCrl, 'root'));
  if (pckCrl !== undefined) items.push(certItem('PCK CRL (by PCK CA)', pckCrl, 'PCK CA'));
  items.push(raw('QE report (by PCK leaf)', 'PCK leaf', qe.qeReportBytes, qe.qeReportSignature));
  items.push(raw('quote (by attestation key)', 'attestation', quote.signedBytes, quote.signatureData.signature));
  const names = Object.keys(jwks);
  const cold = () => {
    const keys: Record<string, KeyObject> = { root: rootKey };
    for (const n of names) keys[n] = importJwk(jwks[n]!);
    for (const it of items) {
      if (!verify('sha256', it.data, { key: keys[it.key]!, dsaEncoding: it.dsaEncoding }, it.sig)) throw new Error(`floor: ${it.what} does not verify`);
    }
  };
  cold();
  return {
    cold: {
      run: cold,
      composition: `${items.length} sig + ${names.length} key imports`,
      items: [...items.map((i) => i.what), ...names.map((n) => `import ${n} key (JWK)`)],
    },
    cached: { run: runAll(perQuote), composition: `${perQuote.length} sig`, items: perQuote.map((p) => p.what) },
  };
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
  const cold = [certCheck('VCEK (ASK, RSA-PSS)', vek.der, ask.cert.publicKey, 'sha384'), certCheck('ASK (ARK, RSA-PSS)', ask.der, ark.cert.publicKey, 'sha384'), ...perReport];
  return {
    cold: { run: runAll(cold), composition: `${cold.length} sig`, items: cold.map((x) => x.what) },
    cached: { run: runAll(perReport), composition: `${perReport.length} sig`, items: perReport.map((x) => x.what) },
  };
}

/** One call = every check of the list once. */
export function runAll(checks: readonly FloorCheck[]): () => void {
  return () => {
    for (const c of checks) if (!c.run()) throw new Error(`floor: ${c.what} failed`);
  };
}
