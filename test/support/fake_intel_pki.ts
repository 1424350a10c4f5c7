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
  let b = typeof v === 'number' ? new Uint8Array(Buffer.from(v.toString(16).padStart(2, '0').replace(/^(.(..)*)$/, '0$1'), 'hex')) : v;
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
