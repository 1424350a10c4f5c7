import { EvidenceError } from '../errors.js';
import { REPORT_SIZE } from './layout.js';

/**
 * Azure confidential VM "HCL report" (read from vTPM NV index 0x01400001): an IGVM attest
 * request that wraps the SEV-SNP report and the runtime claims (JSON) whose hash the report
 * carries in REPORT_DATA. Layout (microsoft/openvmm openhcl_attestation_protocol
 * igvm_attest/get.rs; Azure az-cvm-vtpm crate hcl.rs; trustee deps/verifier/src/az_snp_vtpm):
 *   0x000 IgvmAttestRequestHeader: signature 'HCLA', version, report_size, request_type, status, reserved[3] (u32 LE each)
 *   0x020 attestation report (1184 bytes, SNP)
 *   0x4C0 IgvmAttestRequestData: data_size, version, report_type, report_data_hash_type, variable_data_size (u32 LE each)
 *   0x4D4 variable data (runtime claims JSON), then zero padding up to the NV index size.
 */
export const HCL_HEADER_SIZE = 0x20;
const REQUEST_DATA_OFFSET = HCL_HEADER_SIZE + REPORT_SIZE;
const REQUEST_DATA_SIZE = 20;
const VAR_DATA_OFFSET = REQUEST_DATA_OFFSET + REQUEST_DATA_SIZE;
const HCL_SIGNATURE = 0x414c4348; // 'HCLA' read as a little-endian u32
/** IgvmAttestReportType SNP_VM_REPORT */
const REPORT_TYPE_SNP = 2;
/** IgvmAttestHashType: 1 SHA-256, 2 SHA-384, 3 SHA-512 */
const HASH_TYPES = { 1: 'sha256', 2: 'sha384', 3: 'sha512' } as const;
export type HclHashType = (typeof HASH_TYPES)[keyof typeof HASH_TYPES];

export interface HclReport {
  /** IgvmAttestRequestHeader.version (1 and 2 seen on Azure) */
  readonly headerVersion: number;
  readonly requestType: number;
  /** header.report_size: header + report + request data + variable data */
  readonly reportSize: number;
  readonly requestDataVersion: number;
  readonly reportType: number;
  /** the hash of `runtimeData` that REPORT_DATA[0..n] must hold */
  readonly hashType: HclHashType;
  /** the 1184-byte SEV-SNP report (parse it with parseSnpReport) */
  readonly snpReportBytes: Uint8Array;
  /** the variable data: runtime claims JSON bytes, exactly as hashed */
  readonly runtimeData: Uint8Array;
}

function malformed(message: string, detail?: Record<string, unknown>): never {
  throw new EvidenceError('HCL_REPORT_MALFORMED', `Azure HCL report: ${message}`, detail === undefined ? undefined : { detail });
}

/** Cheap sniffing: the 'HCLA' signature and room for the header, the report and the request data. */
export function looksLikeHclReport(bytes: Uint8Array): boolean {
  return bytes.length >= VAR_DATA_OFFSET && bytes[0] === 0x48 && bytes[1] === 0x43 && bytes[2] === 0x4c && bytes[3] === 0x41;
}

/** Parses the HCL wrapper. The embedded SNP report is returned as bytes, not parsed. */
export function parseHclReport(input: Uint8Array): HclReport {
  if (input.length < VAR_DATA_OFFSET) malformed(`got ${input.length} bytes, want at least ${VAR_DATA_OFFSET}`, { got: input.length });
  const b = input.slice();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  if (u32(0) !== HCL_SIGNATURE) malformed(`signature: got 0x${u32(0).toString(16)}, want 0x${HCL_SIGNATURE.toString(16)} ('HCLA')`);
  // The header is not covered by the SNP signature, so every field is pinned to what Azure
  // writes (versions 1 and 2, request type AK_CERT_REQUEST = 2, status 0, reserved zero): a
  // changed byte there is rejected instead of silently ignored.
  const headerVersion = u32(4);
  if (headerVersion !== 1 && headerVersion !== 2) malformed(`header version: got ${headerVersion}, want 1 or 2`);
  if (u32(12) !== 2) malformed(`request type: got ${u32(12)}, want 2 (AK_CERT_REQUEST)`);
  if (u32(16) !== 0) malformed(`status: got ${u32(16)}, want 0`);
  for (let i = 20; i < HCL_HEADER_SIZE; i++) if (b[i] !== 0) malformed(`reserved header byte at 0x${i.toString(16)} is not zero`, { offset: i });
  const reportSize = u32(8);
  const dataSize = u32(REQUEST_DATA_OFFSET);
  const requestDataVersion = u32(REQUEST_DATA_OFFSET + 4);
  const reportType = u32(REQUEST_DATA_OFFSET + 8);
  const hashCode = u32(REQUEST_DATA_OFFSET + 12);
  const varSize = u32(REQUEST_DATA_OFFSET + 16);
  // Request data version 1 has no extension between the request data and the claims; later
  // versions may, and are refused rather than guessed at.
  if (requestDataVersion !== 1) malformed(`request data version: got ${requestDataVersion}, want 1`);
  if (reportType !== REPORT_TYPE_SNP) malformed(`report type: got ${reportType}, want ${REPORT_TYPE_SNP} (SNP)`);
  const hashType = HASH_TYPES[hashCode as keyof typeof HASH_TYPES];
  if (hashType === undefined) malformed(`report data hash type: got ${hashCode}, want 1, 2 or 3`);
  if (dataSize !== REQUEST_DATA_SIZE + varSize) malformed(`data_size: got ${dataSize}, want ${REQUEST_DATA_SIZE + varSize} (20 + variable data size)`);
  const end = VAR_DATA_OFFSET + varSize;
  if (reportSize !== end) malformed(`report_size: got ${reportSize}, want ${end}`);
  if (end > b.length) malformed(`variable data runs past the end: needs ${end} bytes, got ${b.length}`);
  for (let i = end; i < b.length; i++) {
    if (b[i] !== 0) malformed(`non-zero byte at 0x${i.toString(16)} after the variable data`, { offset: i });
  }
  return {
    headerVersion,
    requestType: u32(12),
    reportSize,
    requestDataVersion,
    reportType,
    hashType,
    snpReportBytes: b.subarray(HCL_HEADER_SIZE, REQUEST_DATA_OFFSET),
    runtimeData: b.subarray(VAR_DATA_OFFSET, end),
  };
}
