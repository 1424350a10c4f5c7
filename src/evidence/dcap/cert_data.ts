import { EvidenceError } from '../errors.js';
import { readLayout, writeLayout } from './layout.js';
import type { ByteReader } from './reader.js';
import { ENCLAVE_REPORT_LAYOUT, ENCLAVE_REPORT_SIZE } from './reports.js';
import type { CertificationData, EnclaveReportBody, QeReportCertificationData } from './types.js';
import { ByteWriter, checkSameBytes, structureError } from './writer.js';

/**
 * Certification data (type u16, size u32, data) and the QE report certification data that
 * type 6 wraps. Types per Intel "SGX ECDSA Quote Library API" (1-5, 7) and "Intel TDX DCAP
 * Quoting Library API" (6 = QE Report Certification Data); dcap-qvl src/quote.rs `CertificationData`.
 */
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;

/** Types kept as opaque bytes (5 = PEM chain, exact bytes; 1-4, 7 carry no chain). */
const OPAQUE_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 7]);

/**
 * Reads one certification data. `allowQeReport` is true only for the outer certification
 * data of a v4/v5 quote: type 6 inside type 6 (or inside a v3 quote, whose QE report sits
 * inline) has no meaning in Intel's layouts and would let a quote nest without bound.
 */
export function parseCertificationData(r: ByteReader, allowQeReport: boolean): CertificationData {
  const type = r.u16('certification data type');
  const size = r.u32('certification data size');
  if (!OPAQUE_TYPES.has(type) && !(type === CERT_DATA_QE_REPORT && allowQeReport)) {
    const want = allowQeReport ? '1-7' : '1-5 or 7 (type 6 may not nest)';
    throw new EvidenceError('CERT_DATA_TYPE_UNSUPPORTED', `certification data type check: got ${type}, want ${want}`, {
      detail: { got: type, nested: !allowQeReport },
    });
  }
  if (type !== CERT_DATA_QE_REPORT) {
    return { type: type as 1 | 2 | 3 | 4 | 5 | 7, data: r.bytes(size, 'certification data', 'CERT_DATA_SIZE_INVALID') };
  }
  const inner = r.sub(size, 'QE report certification data', 'CERT_DATA_SIZE_INVALID', 'CERT_DATA_SIZE_INVALID');
  const qeReportCertData = parseQeReportCertData(inner);
  inner.expectEnd('CERT_DATA_SIZE_INVALID');
  return { type: CERT_DATA_QE_REPORT, data: inner.region(), qeReportCertData };
}

/** QE report (384) || QE report signature (64) || auth data (u16 + data) || certification data. */
export function parseQeReportCertData(r: ByteReader): QeReportCertificationData {
  const reportReader = r.sub(ENCLAVE_REPORT_SIZE, 'QE report', 'QUOTE_TRUNCATED');
  const qeReport = readLayout<EnclaveReportBody>(reportReader, ENCLAVE_REPORT_LAYOUT, 'QE report');
  const qeReportSignature = r.bytes(64, 'QE report signature');
  const authLen = r.u16('QE authentication data length');
  const qeAuthData = r.bytes(authLen, 'QE authentication data');
  const certificationData = parseCertificationData(r, false);
  return { qeReport, qeReportSignature, qeAuthData, certificationData, qeReportBytes: reportReader.region() };
}

/** Inverse of parseQeReportCertData. The QE report is written from its fields; its raw bytes must agree. */
export function writeQeReportCertData(w: ByteWriter, q: QeReportCertificationData): void {
  const report = new ByteWriter();
  writeLayout(report, ENCLAVE_REPORT_LAYOUT, q.qeReport, 'QE report');
  const reportBytes = report.finish();
  checkSameBytes(q.qeReportBytes, reportBytes, 'QE report raw bytes');
  w.bytes(reportBytes, 'QE report');
  w.fixed(q.qeReportSignature, 64, 'QE report signature');
  w.u16(q.qeAuthData.length, 'QE authentication data length');
  w.bytes(q.qeAuthData, 'QE authentication data');
  writeCertificationData(w, q.certificationData, false);
}

/** Inverse of parseCertificationData (type 6 is rebuilt from its parsed content; its `data` must agree). */
export function writeCertificationData(w: ByteWriter, cd: CertificationData, allowQeReport: boolean): void {
  const type: number = cd.type;
  if (type === CERT_DATA_QE_REPORT && allowQeReport && 'qeReportCertData' in cd) {
    const inner = new ByteWriter();
    writeQeReportCertData(inner, cd.qeReportCertData);
    const bytes = inner.finish();
    checkSameBytes(cd.data, bytes, 'type 6 certification data raw bytes');
    writeFramed(w, type, bytes);
    return;
  }
  if (!OPAQUE_TYPES.has(type)) throw structureError(`certification data type ${type} cannot appear here`);
  writeFramed(w, type, cd.data);
}

/** type u16 || size u32 || data. */
export function writeFramed(w: ByteWriter, type: number, data: Uint8Array): void {
  w.u16(type, 'certification data type');
  w.u32(data.length, 'certification data size');
  w.bytes(data, 'certification data');
}
