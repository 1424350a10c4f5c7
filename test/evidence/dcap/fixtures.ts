import fc from 'fast-check';
import { ByteReader } from '../../../src/evidence/dcap/reader.js';
import { readLayout } from '../../../src/evidence/dcap/layout.js';
import { HEADER_LAYOUT } from '../../../src/evidence/dcap/header.js';
import { BODY_SIZES, ENCLAVE_REPORT_LAYOUT, TD_REPORT10_LAYOUT, TD_REPORT15_LAYOUT } from '../../../src/evidence/dcap/reports.js';
import type {
  CertificationData,
  DcapQuote,
  EnclaveReportBody,
  QuoteBody,
  QuoteHeader,
  TdReportBody10,
  TdReportBody15,
} from '../../../src/evidence/dcap/types.js';

/**
 * Synthetic quotes for tests: every structured field is decoded from generated raw bytes with
 * the parser's own layouts, so structure and raw bytes agree by construction. (Not a test file.)
 */

export type BodyType = 1 | 2 | 3;
export type OpaqueCertType = 1 | 2 | 3 | 4 | 5 | 7;

/** Version / body combinations the wire format can express. */
export const COMBOS: ReadonlyArray<{ version: 3 | 4 | 5; bodyType: BodyType }> = [
  { version: 3, bodyType: 1 },
  { version: 4, bodyType: 1 },
  { version: 4, bodyType: 2 },
  { version: 5, bodyType: 1 },
  { version: 5, bodyType: 2 },
  { version: 5, bodyType: 3 },
];

export interface QuoteParts {
  readonly version: 3 | 4 | 5;
  readonly bodyType: BodyType;
  readonly headerRest: Uint8Array; // 40 bytes: qe svn, pce svn, vendor id, user data
  readonly body: Uint8Array; // BODY_SIZES[bodyType]
  readonly signature: Uint8Array; // 64
  readonly attestationKey: Uint8Array; // 64
  readonly qeReport: Uint8Array; // 384
  readonly qeReportSignature: Uint8Array; // 64
  readonly qeAuthData: Uint8Array;
  readonly certType: OpaqueCertType;
  readonly certData: Uint8Array;
  readonly padding: number;
}

function reader(bytes: Uint8Array): ByteReader {
  return ByteReader.whole(bytes);
}

export function buildQuote(p: QuoteParts): DcapQuote {
  const teeType = p.bodyType === 1 ? 0 : 0x81;
  const headerBytes = new Uint8Array(48);
  headerBytes.set([p.version, 0, 2, 0, teeType, 0, 0, 0]);
  headerBytes.set(p.headerRest, 8);
  const header = readLayout<QuoteHeader>(reader(headerBytes), HEADER_LAYOUT, 'header');
  const body: QuoteBody =
    p.bodyType === 1
      ? { bodyType: 1, tee: 'sgx', report: readLayout<EnclaveReportBody>(reader(p.body), ENCLAVE_REPORT_LAYOUT, 'r') }
      : p.bodyType === 2
        ? { bodyType: 2, tee: 'tdx', report: readLayout<TdReportBody10>(reader(p.body), TD_REPORT10_LAYOUT, 'r') }
        : { bodyType: 3, tee: 'tdx', report: readLayout<TdReportBody15>(reader(p.body), TD_REPORT15_LAYOUT, 'r') };
  const certificationData: CertificationData = { type: p.certType, data: p.certData };
  return {
    header,
    body,
    signatureData: {
      signature: p.signature,
      attestationKey: p.attestationKey,
      qeReportCertData: {
        qeReport: readLayout<EnclaveReportBody>(reader(p.qeReport), ENCLAVE_REPORT_LAYOUT, 'qe'),
        qeReportBytes: p.qeReport,
        qeReportSignature: p.qeReportSignature,
        qeAuthData: p.qeAuthData,
        certificationData,
      },
    },
    signedBytes: new Uint8Array(0), // derived by the parser; the serializer ignores it
    trailingZeroPadding: p.padding,
  };
}

/** Deterministic filler: byte i = (seed + i) & 0xff. */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed + i) & 0xff;
  return out;
}

/** A fixed, readable synthetic quote (PEM-ish type-5 data by default). */
export function sampleQuote(version: 3 | 4 | 5, bodyType: BodyType, o: Partial<QuoteParts> = {}): DcapQuote {
  return buildQuote({
    version,
    bodyType,
    headerRest: pattern(40, 1),
    body: pattern(BODY_SIZES[bodyType], 2),
    signature: pattern(64, 3),
    attestationKey: pattern(64, 4),
    qeReport: pattern(384, 5),
    qeReportSignature: pattern(64, 6),
    qeAuthData: pattern(32, 0),
    certType: 5,
    certData: new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\0'),
    padding: 0,
    ...o,
  });
}

/** Offsets of the length/type fields of a serialized quote (from its structure). */
export function fieldOffsets(q: DcapQuote): {
  sigLenAt: number;
  outerTypeAt: number | undefined;
  authLenAt: number;
  innerTypeAt: number;
  end: number;
} {
  const bodyEnd = 48 + (q.header.version === 5 ? 6 : 0) + BODY_SIZES[q.body.bodyType];
  const sigLenAt = bodyEnd;
  const afterKeys = sigLenAt + 4 + 128;
  const outerTypeAt = q.header.version === 3 ? undefined : afterKeys;
  const qeReportAt = outerTypeAt === undefined ? afterKeys : outerTypeAt + 6;
  const authLenAt = qeReportAt + 384 + 64;
  const qc = q.signatureData.qeReportCertData;
  const innerTypeAt = authLenAt + 2 + qc.qeAuthData.length;
  return { sigLenAt, outerTypeAt, authLenAt, innerTypeAt, end: innerTypeAt + 6 + qc.certificationData.data.length };
}

export function setU16(b: Uint8Array, at: number, v: number): Uint8Array {
  const out = b.slice();
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  return out;
}
export function getU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
export function setU32(b: Uint8Array, at: number, v: number): Uint8Array {
  const out = b.slice();
  for (let i = 0; i < 4; i++) out[at + i] = (v >>> (8 * i)) & 0xff;
  return out;
}
/** A copy with `extra` inserted at `at`. */
export function insertAt(b: Uint8Array, at: number, extra: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + extra.length);
  out.set(b.subarray(0, at));
  out.set(extra, at);
  out.set(b.subarray(at), at + extra.length);
  return out;
}

const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** Structurally valid quotes of every version / body type / certification data type. */
export function arbQuote(): fc.Arbitrary<DcapQuote> {
  return fc.constantFrom(...COMBOS).chain(({ version, bodyType }) =>
    fc
      .record({
        headerRest: bytesN(40),
        body: bytesN(BODY_SIZES[bodyType]),
        signature: bytesN(64),
        attestationKey: bytesN(64),
        qeReport: bytesN(384),
        qeReportSignature: bytesN(64),
        qeAuthData: fc.uint8Array({ maxLength: 80 }),
        certType: fc.constantFrom<OpaqueCertType>(1, 2, 3, 4, 5, 7),
        certData: fc.uint8Array({ maxLength: 300 }),
        padding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })),
      })
      .map((r) => buildQuote({ version, bodyType, ...r })),
  );
}
