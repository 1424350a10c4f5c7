import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata polyfill loaded first
import { KeyObject, X509Certificate, randomBytes, sign as cryptoSign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { encodeTcb, parseSnpReport, serializeSnpReport, type SnpReport } from '../../src/evidence/snp/index.js';
import type { SnpProduct, SnpTcb } from '../../src/verify/types.js';

/**
 * A fake AMD SEV-SNP PKI made at test time (pattern: go-sev-guest testing/fake_certs.go
 * AmdSignerBuilder + CertOverride): our own RSA-PSS ARK/ASK/ASVK per product line with AMD's
 * names, and EC P-384 VCEK/VLEK with the real extension OIDs. Trusted only through the explicit
 * `trustedArks` option, never through the pinned AMD roots.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;

const PSS = { name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 } as const;
const AMD_DN = 'OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices';
export const FAKE_NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
export const FAKE_NOT_AFTER = new Date('2034-01-01T00:00:00Z');
/** a time inside every default validity window of the fake PKI */
export const FAKE_NOW = new Date('2025-06-01T00:00:00Z');

export interface FakeCa {
  readonly cert: X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly name: string;
}
export interface FakeProductPki {
  readonly product: SnpProduct;
  readonly ark: FakeCa;
  readonly ask: FakeCa;
  readonly asvk: FakeCa;
}
export type FakeAmdPki = Readonly<Record<SnpProduct, FakeProductPki>> & { readonly trustedArks: readonly X509Certificate[] };

function toNode(c: x509.X509Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(c.rawData));
}

async function rsaKeys(): Promise<webcrypto.CryptoKeyPair> {
  // 2048 bits keeps key generation fast; AMD uses 4096 (size does not change the checks).
  return (await subtle.generateKey({ name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

const caExtensions = (): x509.Extension[] => [
  new x509.BasicConstraintsExtension(true, 1, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

async function productPki(product: SnpProduct, serialBase: number): Promise<FakeProductPki> {
  const arkKeys = await rsaKeys();
  const arkName = `${AMD_DN}, CN=ARK-${product}`;
  const ark = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serialBase << 16).toString(16).padStart(6, '0'),
    name: arkName,
    notBefore: FAKE_NOT_BEFORE,
    notAfter: FAKE_NOT_AFTER,
    keys: arkKeys,
    signingAlgorithm: PSS,
    extensions: caExtensions(),
  });
  const sub = async (cn: string, serial: number): Promise<FakeCa> => {
    const keys = await rsaKeys();
    const name = `${AMD_DN}, CN=${cn}`;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString(16).padStart(6, '0'),
      subject: name,
      issuer: arkName,
      notBefore: FAKE_NOT_BEFORE,
      notAfter: FAKE_NOT_AFTER,
      publicKey: keys.publicKey,
      signingKey: arkKeys.privateKey,
      signingAlgorithm: PSS,
      extensions: caExtensions(),
    });
    return { cert: toNode(cert), keys, name };
  };
  return {
    product,
    ark: { cert: toNode(ark), keys: arkKeys, name: arkName },
    ask: await sub(`SEV-${product}`, (serialBase << 16) | 1),
    asvk: await sub(`SEV-VLEK-${product}`, (serialBase << 16) | 0x101),
  };
}

let memo: Promise<FakeAmdPki> | undefined;
/** The fake PKI for all three product lines (made once per test process). */
export function fakeAmdPki(): Promise<FakeAmdPki> {
  memo ??= (async () => {
    const [Milan, Genoa, Turin] = await Promise.all([productPki('Milan', 1), productPki('Genoa', 2), productPki('Turin', 3)]);
    return { Milan, Genoa, Turin, trustedArks: [Milan.ark.cert, Genoa.ark.cert, Turin.ark.cert] };
  })();
  return memo;
}

/** DER of an INTEGER 0..255 (the SPL extensions wrap one). */
function derSmallInt(v: number): Uint8Array {
  return v >= 0x80 ? new Uint8Array([0x02, 0x02, 0x00, v]) : new Uint8Array([0x02, 0x01, v]);
}
function derIa5(s: string): Uint8Array {
  return new Uint8Array([0x16, s.length, ...Buffer.from(s, 'latin1')]);
}

export interface FakeVekOptions {
  readonly product: SnpProduct;
  readonly kind: 'vcek' | 'vlek';
  readonly tcb: SnpTcb;
  /** VCEK only: 64 bytes (Milan/Genoa) or 8 bytes (Turin) */
  readonly hwId?: Uint8Array;
  /** default: the product name ('Milan-B0' style suffixes are allowed) */
  readonly productName?: string | null;
  /** sign with this product's ASK/ASVK instead of `product`'s */
  readonly issuerProduct?: SnpProduct;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface FakeVek {
  readonly cert: X509Certificate;
  readonly key: KeyObject;
}

/** A VCEK/VLEK with AMD's extensions (go-sev-guest kds/kds.go OIDs), serial 0 like AMD KDS. */
export async function fakeVek(pki: FakeAmdPki, o: FakeVekOptions): Promise<FakeVek> {
  const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const issuerPki = pki[o.issuerProduct ?? o.product];
  const issuer = o.kind === 'vcek' ? issuerPki.ask : issuerPki.asvk;
  const ext = (oid: string, value: Uint8Array): x509.Extension => new x509.Extension(oid, false, value);
  const exts = [ext('1.3.6.1.4.1.3704.1.1', derSmallInt(1))];
  const productName = o.productName === undefined ? o.product : o.productName;
  if (productName !== null) exts.push(ext('1.3.6.1.4.1.3704.1.2', derIa5(productName)));
  exts.push(
    ext('1.3.6.1.4.1.3704.1.3.1', derSmallInt(o.tcb.bootloader)),
    ext('1.3.6.1.4.1.3704.1.3.2', derSmallInt(o.tcb.tee)),
    ext('1.3.6.1.4.1.3704.1.3.3', derSmallInt(o.tcb.snp)),
    ext('1.3.6.1.4.1.3704.1.3.8', derSmallInt(o.tcb.microcode)),
  );
  if (o.tcb.fmc !== undefined) exts.push(ext('1.3.6.1.4.1.3704.1.3.9', derSmallInt(o.tcb.fmc)));
  if (o.hwId !== undefined) exts.push(ext('1.3.6.1.4.1.3704.1.4', o.hwId));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '00',
    subject: `${AMD_DN}, CN=${o.kind === 'vcek' ? 'SEV-VCEK' : 'SEV-VLEK'}`,
    issuer: issuer.name,
    notBefore: o.notBefore ?? FAKE_NOT_BEFORE,
    notAfter: o.notAfter ?? FAKE_NOT_AFTER,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: PSS,
    extensions: exts,
  });
  return { cert: toNode(cert), key: KeyObject.from(keys.privateKey) };
}

/** A CRL signed by `product`'s fake ARK revoking `serials` (hex). */
export async function fakeCrl(pki: FakeAmdPki, product: SnpProduct, serials: readonly string[], o: { thisUpdate?: Date; nextUpdate?: Date } = {}): Promise<Uint8Array> {
  const ark = pki[product].ark;
  const crl = await x509.X509CrlGenerator.create({
    issuer: ark.name,
    thisUpdate: o.thisUpdate ?? FAKE_NOT_BEFORE,
    nextUpdate: o.nextUpdate ?? FAKE_NOT_AFTER,
    entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: FAKE_NOT_BEFORE })),
    signingKey: ark.keys.privateKey,
    signingAlgorithm: PSS,
  });
  return new Uint8Array(crl.rawData);
}

/** Writes r||s (big-endian from node) into the report's 72-byte little-endian fields. */
export function signReport(unsigned: Uint8Array, key: KeyObject): Uint8Array {
  const out = unsigned.slice();
  const sig = cryptoSign('sha384', out.subarray(0, 0x2a0), { key, dsaEncoding: 'ieee-p1363' });
  const r = sig.subarray(0, 48);
  const s = sig.subarray(48, 96);
  out.fill(0, 0x2a0, 0x2a0 + 144);
  for (let i = 0; i < 48; i++) {
    out[0x2a0 + i] = r[47 - i]!;
    out[0x2a0 + 72 + i] = s[47 - i]!;
  }
  return out;
}

export type ReportFields = Partial<Omit<SnpReport, 'bytes' | 'signedBytes'>>;

/** An unsigned report with plausible defaults; every field can be overridden. */
export function fakeReportBytes(fields: ReportFields): Uint8Array {
  const z = (n: number): Uint8Array => new Uint8Array(n);
  const version = fields.version ?? 3;
  const base: SnpReport = {
    bytes: z(0x4a0),
    version,
    guestSvn: 1,
    policy: 0x30000n,
    familyId: z(16),
    imageId: z(16),
    vmpl: 0,
    signatureAlgo: 1,
    currentTcb: 0n,
    platformInfo: 1n,
    keyInfo: 0,
    signingKey: 'vcek',
    maskChipKey: false,
    authorKeyEn: false,
    reportData: z(64),
    measurement: new Uint8Array(48).fill(0xab),
    hostData: z(32),
    idKeyDigest: z(48),
    authorKeyDigest: z(48),
    reportId: new Uint8Array(32).fill(1),
    reportIdMa: new Uint8Array(32).fill(0xff),
    reportedTcb: 0n,
    cpuid: version >= 3 ? { family: 0x19, model: 0x11, stepping: 1 } : undefined,
    chipId: z(64),
    committedTcb: 0n,
    currentVersion: { major: 1, minor: 55, build: 40 },
    committedVersion: { major: 1, minor: 55, build: 40 },
    launchTcb: 0n,
    launchMitVector: version >= 5 ? 0n : undefined,
    currentMitVector: version >= 5 ? 0n : undefined,
    signedBytes: z(0x2a0),
    signatureR: z(72),
    signatureS: z(72),
  };
  return serializeSnpReport({ ...base, ...fields } as SnpReport);
}

export interface SnpCaseOptions {
  readonly product?: SnpProduct;
  readonly signer?: 'vcek' | 'vlek';
  /** the TCB the VEK is issued for (and, unless reportedTcb is set, the report's REPORTED_TCB) */
  readonly tcb?: SnpTcb;
  readonly reportedTcb?: SnpTcb;
  readonly report?: ReportFields;
  /** chip id in the report (default random; Turin: 8 random bytes then zeros) */
  readonly chipId?: Uint8Array;
  /** VCEK hwID (default: derived from chipId); null = omit the extension */
  readonly hwId?: Uint8Array | null;
  readonly vek?: Partial<FakeVekOptions>;
  readonly includeIntermediate?: boolean;
  readonly includeArk?: boolean;
  /** serials (hex) the CRL revokes; undefined = no CRL */
  readonly crlRevoked?: readonly string[];
}

export interface SnpCase {
  readonly report: Uint8Array;
  readonly certs: Uint8Array[];
  readonly vek: FakeVek;
  readonly trustedArks: readonly X509Certificate[];
  readonly pki: FakeAmdPki;
}

/** One signed report with its certificates; each option overrides one property (one case per test). */
export async function buildSnpCase(o: SnpCaseOptions = {}): Promise<SnpCase> {
  const pki = await fakeAmdPki();
  const product = o.product ?? 'Genoa';
  const signer = o.signer ?? 'vcek';
  const tcb = o.tcb ?? (product === 'Turin' ? { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 5 } : { bootloader: 10, tee: 0, snp: 23, microcode: 84 });
  const chipId = o.chipId ?? (product === 'Turin' ? new Uint8Array([...randomBytes(8), ...new Uint8Array(56)]) : new Uint8Array(randomBytes(64)));
  const hwId = signer === 'vlek' || o.hwId === null ? undefined : (o.hwId ?? chipId.slice(0, product === 'Turin' ? 8 : 64));
  const vek = await fakeVek(pki, { product, kind: signer, tcb, ...(hwId === undefined ? {} : { hwId }), ...o.vek });
  const reported = encodeTcb(o.reportedTcb ?? tcb, product);
  const unsigned = fakeReportBytes({
    reportedTcb: reported,
    currentTcb: reported,
    committedTcb: reported,
    launchTcb: reported,
    signingKey: signer,
    chipId: signer === 'vlek' ? new Uint8Array(64) : chipId,
    ...o.report,
  });
  const report = signReport(unsigned, vek.key);
  parseSnpReport(report); // the builder only makes well-formed reports
  const p = pki[o.vek?.issuerProduct ?? product];
  const certs: Uint8Array[] = [new Uint8Array(vek.cert.raw)];
  if (o.includeIntermediate ?? true) certs.push(new Uint8Array((signer === 'vcek' ? p.ask : p.asvk).cert.raw));
  if (o.includeArk ?? true) certs.push(new Uint8Array(p.ark.cert.raw));
  if (o.crlRevoked !== undefined) certs.push(await fakeCrl(pki, p.product, o.crlRevoked));
  return { report, certs, vek, trustedArks: pki.trustedArks, pki };
}
