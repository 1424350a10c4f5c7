import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { parseDcapQuote, type DcapQuote } from '../../src/evidence/dcap/index.js';
import type { CollateralBundle } from '../../src/verify/dcap/index.js';

/**
 * A fake Intel DCAP PKI, made at test time with node:crypto and a tiny DER writer: our own
 * root, PCK Platform CA, PCK leaf with a real SGX extension, TCB signing certificate, root CA
 * and PCK CRLs, signed tcbInfo / QE identity JSON, and SGX v3 / TDX v4 quotes signed by our
 * attestation key with a QE report signed by our PCK key. Shapes follow Intel's (names,
 * OIDs, JSON fields), so the verifier runs its real code path. `buildFakeDcap` takes one
 * override per negative case. (Not a test file.)
 */

// ---------- DER writer ----------
function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const seq = (...p: Uint8Array[]) => tlv(0x30, cat(...p));
const set = (...p: Uint8Array[]) => tlv(0x31, cat(...p));
const ctx = (n: number, ...p: Uint8Array[]) => tlv(0xa0 + n, cat(...p));
const octet = (b: Uint8Array) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
const bits = (b: Uint8Array) => tlv(0x03, cat(Uint8Array.of(0), b));
function intBytes(v: number | Uint8Array): Uint8Array {
  const h = typeof v === 'number' ? v.toString(16) : '';
  let b = typeof v === 'number' ? new Uint8Array(Buffer.from(h.length % 2 === 1 ? `0${h}` : h, 'hex')) : v;
  let s = 0;
  while (s < b.length - 1 && b[s] === 0 && !(b[s + 1]! & 0x80)) s++;
  b = b.subarray(s);
  return b[0]! & 0x80 ? cat(Uint8Array.of(0), b) : b;
}
const int = (v: number | Uint8Array) => tlv(0x02, intBytes(v));
const enumerated = (v: number) => tlv(0x0a, intBytes(v));
function oid(s: string): Uint8Array {
  const p = s.split('.').map(Number);
  const out = [p[0]! * 40 + p[1]!];
  for (const v of p.slice(2)) {
    const chunk = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}
function time(d: Date): Uint8Array {
  const iso = d.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const SGX = '1.2.840.113741.1.13.1';

export function dname(cn: string): Uint8Array {
  return seq(set(seq(oid('2.5.4.3'), utf8(cn))), set(seq(oid('2.5.4.10'), utf8('Intel Corporation'))), set(seq(oid('2.5.4.6'), tlv(0x13, Buffer.from('US')))));
}

function signDer(tbs: Uint8Array, key: KeyObject): Uint8Array {
  return new Uint8Array(sign('sha256', tbs, { key, dsaEncoding: 'der' }));
}

export interface Keys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}
export function newKeys(): Keys {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function makeCert(o: {
  serial: number;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  signer: KeyObject;
  ca: boolean;
  extensions?: Uint8Array[];
}): Uint8Array {
  const exts = [...(o.ca ? [seq(oid('2.5.29.19'), bool(true), octet(seq(bool(true))))] : []), ...(o.extensions ?? [])];
  const tbs = seq(
    ctx(0, int(2)),
    int(o.serial),
    ECDSA_SHA256,
    o.issuer,
    seq(time(o.notBefore), time(o.notAfter)),
    o.subject,
    new Uint8Array(o.publicKey.export({ type: 'spki', format: 'der' })),
    ...(exts.length > 0 ? [ctx(3, seq(...exts))] : []),
  );
  return seq(tbs, ECDSA_SHA256, bits(signDer(tbs, o.signer)));
}

export function makeCrl(o: { issuer: Uint8Array; thisUpdate: Date; nextUpdate: Date; revoked: number[]; signer: KeyObject }): Uint8Array {
  const entries = o.revoked.map((s) => seq(int(s), time(o.thisUpdate)));
  const tbs = seq(int(1), ECDSA_SHA256, o.issuer, time(o.thisUpdate), time(o.nextUpdate), ...(entries.length > 0 ? [seq(...entries)] : []));
  return seq(tbs, ECDSA_SHA256, bits(signDer(tbs, o.signer)));
}

export interface SgxExtensionFields {
  readonly ppid: string;
  readonly sgxTcbComponents: readonly number[];
  readonly pcesvn: number;
  readonly cpusvn: string;
  readonly pceId: string;
  readonly fmspc: string;
}

export function sgxExtension(f: SgxExtensionFields): Uint8Array {
  const hex = (h: string) => octet(new Uint8Array(Buffer.from(h, 'hex')));
  const tcb = seq(
    ...f.sgxTcbComponents.map((v, i) => seq(oid(`${SGX}.2.${i + 1}`), int(v))),
    seq(oid(`${SGX}.2.17`), int(f.pcesvn)),
    seq(oid(`${SGX}.2.18`), hex(f.cpusvn)),
  );
  const value = seq(
    seq(oid(`${SGX}.1`), hex(f.ppid)),
    seq(oid(`${SGX}.2`), tcb),
    seq(oid(`${SGX}.3`), hex(f.pceId)),
    seq(oid(`${SGX}.4`), hex(f.fmspc)),
    seq(oid(`${SGX}.5`), enumerated(1)),
    seq(oid(`${SGX}.6`), hex('11'.repeat(16))),
  );
  return seq(oid(SGX), octet(value));
}

export function pem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

// ---------- the PKI and the quote ----------
export const FAKE_NOW = new Date('2025-01-15T00:00:00Z');
const CERT_FROM = new Date('2024-01-01T00:00:00Z');
const CERT_TO = new Date('2030-01-01T00:00:00Z');
const QE_VENDOR_INTEL = '939a7233f79c4ca9940a0db3957f0607';
export const FAKE_FMSPC = '00906ed50000';
export const FAKE_QE_MRSIGNER = '8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff';
const SERIAL = { root: 1, pckCa: 2, leaf: 0x1234, tcbSigner: 4 } as const;

/** Key pairs are expensive-ish; one set per process is enough (every test signs fresh objects). */
let keysCache: Record<'root' | 'pckCa' | 'leaf' | 'tcbSigner' | 'attestation' | 'other', Keys> | undefined;
function keys() {
  keysCache ??= { root: newKeys(), pckCa: newKeys(), leaf: newKeys(), tcbSigner: newKeys(), attestation: newKeys(), other: newKeys() };
  return keysCache;
}

export interface FakeOptions {
  readonly tee?: 'sgx' | 'tdx';
  /** PCK CRL window and revocations */
  readonly pckCrl?: { thisUpdate?: Date; nextUpdate?: Date; revokeLeaf?: boolean };
  readonly rootCrl?: { thisUpdate?: Date; nextUpdate?: Date; revokePckCa?: boolean };
  readonly omitCrls?: boolean;
  /** edits of the JSON objects before they are signed */
  readonly tcbInfo?: (t: Record<string, unknown>) => Record<string, unknown>;
  readonly qeIdentity?: (q: Record<string, unknown>) => Record<string, unknown>;
  /** sign tcbInfo with a key that is not the TCB signing certificate's */
  readonly tcbInfoSignedByOtherKey?: boolean;
  /** the QE report's ISVSVN (default 8) */
  readonly qeIsvSvn?: number;
  /** TDX: MRSIGNERSEAM in the TD report (default zeros) and TEE_TCB_SVN */
  readonly mrSignerSeam?: Uint8Array;
  readonly teeTcbSvn?: Uint8Array;
  /** the PCK leaf's SGX extension fields */
  readonly pck?: Partial<SgxExtensionFields>;
  /** SGX: the enclave's report data (64 bytes) and its DEBUG attribute */
  readonly reportData?: Uint8Array;
  readonly debug?: boolean;
  /** a root certificate of its own (same key, fresh signature) instead of the per-process one */
  readonly freshRoot?: boolean;
}

export interface FakeDcap {
  readonly quoteBytes: Uint8Array;
  readonly quote: DcapQuote;
  readonly bundle: CollateralBundle;
  readonly root: X509Certificate;
  readonly now: Date;
}

const svns = (a: readonly number[]) => a.map((svn) => ({ svn }));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function tcbInfoJson(tee: 'sgx' | 'tdx'): Record<string, unknown> {
  const sgx = [2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const tdx = [3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const level = (status: string, minus: number, advisoryIDs: string[]) => ({
    tcb: {
      sgxtcbcomponents: svns(sgx.map((v) => Math.max(0, v - minus))),
      pcesvn: 13 - minus,
      ...(tee === 'tdx' ? { tdxtcbcomponents: svns(tdx.map((v, i) => (i === 2 ? v - minus : v))) } : {}),
    },
    tcbDate: '2024-03-13T00:00:00Z',
    tcbStatus: status,
    ...(advisoryIDs.length > 0 ? { advisoryIDs } : {}),
  });
  const zeros48 = '00'.repeat(48);
  return {
    id: tee === 'tdx' ? 'TDX' : 'SGX',
    version: 3,
    issueDate: '2025-01-10T00:00:00Z',
    nextUpdate: '2025-02-09T00:00:00Z',
    fmspc: FAKE_FMSPC,
    pceId: '0000',
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    ...(tee === 'tdx'
      ? {
          tdxModule: { mrsigner: zeros48, attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
          tdxModuleIdentities: [
            {
              id: 'TDX_01',
              mrsigner: zeros48,
              attributes: '0000000000000000',
              attributesMask: 'FFFFFFFFFFFFFFFF',
              tcbLevels: [
                { tcb: { isvsvn: 3 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' },
                { tcb: { isvsvn: 1 }, tcbDate: '2023-01-01T00:00:00Z', tcbStatus: 'OutOfDate', advisoryIDs: ['INTEL-SA-01000'] },
              ],
            },
          ],
        }
      : {}),
    tcbLevels: [level('UpToDate', 0, []), level('SWHardeningNeeded', 1, ['INTEL-SA-00615']), level('OutOfDate', 2, ['INTEL-SA-00001', 'INTEL-SA-00615'])],
  };
}

function qeIdentityJson(tee: 'sgx' | 'tdx'): Record<string, unknown> {
  return {
    id: tee === 'tdx' ? 'TD_QE' : 'QE',
    version: 2,
    issueDate: '2025-01-10T00:00:00Z',
    nextUpdate: '2025-02-09T00:00:00Z',
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: '11000000000000000000000000000000',
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: FAKE_QE_MRSIGNER,
    isvprodid: tee === 'tdx' ? 2 : 1,
    tcbLevels: [
      { tcb: { isvsvn: 8 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' },
      { tcb: { isvsvn: 6 }, tcbDate: '2023-01-01T00:00:00Z', tcbStatus: 'OutOfDate', advisoryIDs: ['INTEL-SA-00999'] },
    ],
  };
}

function u16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, v >> 8);
}
function u32(v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return new Uint8Array(b);
}
function rawKey(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: 'jwk' });
  return cat(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url'));
}

function qeReport(o: { isvSvn: number; isvProdId: number; reportData: Uint8Array }): Uint8Array {
  const r = new Uint8Array(384);
  r.set(Buffer.from('11000000000000000700000000000000', 'hex'), 48); // attributes: INIT|MODE64BIT, not DEBUG
  r.set(Buffer.from(FAKE_QE_MRSIGNER, 'hex'), 128);
  r.set(u16(o.isvProdId), 256);
  r.set(u16(o.isvSvn), 258);
  r.set(o.reportData, 320);
  return r;
}

function body(tee: 'sgx' | 'tdx', o: FakeOptions): Uint8Array {
  if (tee === 'sgx') {
    const b = new Uint8Array(384);
    b.fill(0xaa, 64, 96); // MRENCLAVE
    b.fill(0xbb, 128, 160); // MRSIGNER
    b.set(Buffer.from(o.debug === true ? '0700000000000000e700000000000000' : '0500000000000000e700000000000000', 'hex'), 48);
    b.set(o.reportData ?? Buffer.from('cloister fake sgx quote'), 320);
    return b;
  }
  const b = new Uint8Array(584);
  b.set(o.teeTcbSvn ?? Uint8Array.from([3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 0);
  b.fill(0x5e, 16, 64); // MRSEAM
  if (o.mrSignerSeam !== undefined) b.set(o.mrSignerSeam, 64);
  b.set(Buffer.from('0000001000000000', 'hex'), 120); // TD attributes: SEPT_VE_DISABLE
  b.fill(0x7d, 136, 184); // MRTD
  b.set(Buffer.from('cloister fake td quote'), 520);
  return b;
}

let rootDerCache: Uint8Array | undefined;

/** Builds a complete, valid fake DCAP case; each option breaks or changes one thing. */
export function buildFakeDcap(o: FakeOptions = {}): FakeDcap {
  const k = keys();
  const tee = o.tee ?? 'sgx';
  const rootName = dname('Intel SGX Root CA');
  const caName = dname('Intel SGX PCK Platform CA');
  // one root certificate per process (ECDSA signatures are randomized): every case chains to the same trust root
  const makeRoot = () => makeCert({ serial: SERIAL.root, issuer: rootName, subject: rootName, notBefore: CERT_FROM, notAfter: new Date('2049-12-31T23:59:59Z'), publicKey: k.root.publicKey, signer: k.root.privateKey, ca: true });
  const rootDer = o.freshRoot === true ? makeRoot() : (rootDerCache ??= makeRoot());
  const caDer = makeCert({ serial: SERIAL.pckCa, issuer: rootName, subject: caName, notBefore: CERT_FROM, notAfter: CERT_TO, publicKey: k.pckCa.publicKey, signer: k.root.privateKey, ca: true });
  const ext: SgxExtensionFields = {
    ppid: '00112233445566778899aabbccddeeff',
    sgxTcbComponents: [2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    pcesvn: 13,
    cpusvn: '02020202010100000000000000000000',
    pceId: '0000',
    fmspc: FAKE_FMSPC,
    ...o.pck,
  };
  const leafDer = makeCert({ serial: SERIAL.leaf, issuer: caName, subject: dname('Intel SGX PCK Certificate'), notBefore: CERT_FROM, notAfter: CERT_TO, publicKey: k.leaf.publicKey, signer: k.pckCa.privateKey, ca: false, extensions: [sgxExtension(ext)] });
  const signerDer = makeCert({ serial: SERIAL.tcbSigner, issuer: rootName, subject: dname('Intel SGX TCB Signing'), notBefore: CERT_FROM, notAfter: CERT_TO, publicKey: k.tcbSigner.publicKey, signer: k.root.privateKey, ca: false });

  const crlFrom = new Date('2025-01-01T00:00:00Z');
  const crlTo = new Date('2025-02-01T00:00:00Z');
  const rootCrl = makeCrl({ issuer: rootName, thisUpdate: o.rootCrl?.thisUpdate ?? crlFrom, nextUpdate: o.rootCrl?.nextUpdate ?? crlTo, revoked: o.rootCrl?.revokePckCa === true ? [99, SERIAL.pckCa] : [99], signer: k.root.privateKey });
  const pckCrl = makeCrl({ issuer: caName, thisUpdate: o.pckCrl?.thisUpdate ?? crlFrom, nextUpdate: o.pckCrl?.nextUpdate ?? crlTo, revoked: o.pckCrl?.revokeLeaf === true ? [7, SERIAL.leaf] : [7], signer: k.pckCa.privateKey });

  const tcbInfo = JSON.stringify((o.tcbInfo ?? ((t) => t))(tcbInfoJson(tee)));
  const qeId = JSON.stringify((o.qeIdentity ?? ((q) => q))(qeIdentityJson(tee)));
  const signJson = (text: string, key: KeyObject) => hex(sign('sha256', Buffer.from(text), { key, dsaEncoding: 'ieee-p1363' }));
  const issuerChain = pem(signerDer) + pem(rootDer);
  const bundle: CollateralBundle = {
    pck_crl_issuer_chain: o.omitCrls === true ? null : pem(caDer) + pem(rootDer),
    root_ca_crl: o.omitCrls === true ? null : hex(rootCrl),
    pck_crl: o.omitCrls === true ? null : hex(pckCrl),
    tcb_info_issuer_chain: issuerChain,
    tcb_info: tcbInfo,
    tcb_info_signature: signJson(tcbInfo, o.tcbInfoSignedByOtherKey === true ? k.other.privateKey : k.tcbSigner.privateKey),
    qe_identity_issuer_chain: issuerChain,
    qe_identity: qeId,
    qe_identity_signature: signJson(qeId, k.tcbSigner.privateKey),
  };

  // The quote: QE report binds the attestation key, PCK key signs the QE report, attestation key signs header||body.
  const attKey = rawKey(k.attestation.publicKey);
  const authData = new Uint8Array(32).fill(0x42);
  const reportData = cat(createHash('sha256').update(attKey).update(authData).digest(), new Uint8Array(32));
  const qe = qeReport({ isvSvn: o.qeIsvSvn ?? 8, isvProdId: tee === 'tdx' ? 2 : 1, reportData });
  const qeSig = new Uint8Array(sign('sha256', qe, { key: k.leaf.privateKey, dsaEncoding: 'ieee-p1363' }));
  const chainPem = Buffer.from(pem(leafDer) + pem(caDer) + pem(rootDer));
  const header = cat(u16(tee === 'tdx' ? 4 : 3), u16(2), u32(tee === 'tdx' ? 0x81 : 0), u16(8), u16(13), Buffer.from(QE_VENDOR_INTEL, 'hex'), new Uint8Array(20));
  const signed = cat(header, body(tee, o));
  const sig = new Uint8Array(sign('sha256', signed, { key: k.attestation.privateKey, dsaEncoding: 'ieee-p1363' }));
  const pckData = cat(u16(5), u32(chainPem.length), chainPem);
  const qeBlock = cat(qe, qeSig, u16(authData.length), authData);
  const sigData = tee === 'tdx' ? cat(sig, attKey, u16(6), u32(qeBlock.length + pckData.length), qeBlock, pckData) : cat(sig, attKey, qeBlock, pckData);
  const quoteBytes = cat(signed, u32(sigData.length), sigData);
  return { quoteBytes, quote: parseDcapQuote(quoteBytes), bundle, root: new X509Certificate(Buffer.from(rootDer)), now: FAKE_NOW };
}
