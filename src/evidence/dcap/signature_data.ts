import { EvidenceError } from '../errors.js';
import { CERT_DATA_QE_REPORT, parseCertificationData, parseQeReportCertData, writeFramed, writeQeReportCertData } from './cert_data.js';
import type { ByteReader } from './reader.js';
import type { QuoteSignatureData, QuoteVersion } from './types.js';
import { ByteWriter } from './writer.js';

/**
 * ECDSA quote signature data: signature (64) || attestation key (64) || then
 *  - v3: QE report (384) || QE report signature (64) || auth data (u16 + data) || certification data
 *    (Intel "SGX ECDSA Quote Library API", sgx_ql_ecdsa_sig_data_t);
 *  - v4/v5: certification data that must be type 6 and wraps the same QE report fields
 *    (Intel "Intel TDX DCAP Quoting Library API"; go-tdx-guest abi/abi.go signedDataToProto;
 *    dcap-qvl src/quote.rs AuthDataV4).
 * Both normalize to `qeReportCertData`.
 */
export function parseSignatureData(r: ByteReader, version: QuoteVersion): QuoteSignatureData {
  const signature = r.bytes(64, 'quote signature');
  const attestationKey = r.bytes(64, 'attestation key');
  if (version === 3) return { signature, attestationKey, qeReportCertData: parseQeReportCertData(r) };
  const outer = parseCertificationData(r, true);
  if (outer.type !== CERT_DATA_QE_REPORT) {
    throw new EvidenceError(
      'CERT_DATA_TYPE_UNSUPPORTED',
      `v${version} signature data certification data type check: got ${outer.type}, want ${CERT_DATA_QE_REPORT} (QE report certification data)`,
      { detail: { got: outer.type, want: CERT_DATA_QE_REPORT } },
    );
  }
  return { signature, attestationKey, qeReportCertData: outer.qeReportCertData };
}

export function writeSignatureData(w: ByteWriter, s: QuoteSignatureData, version: QuoteVersion): void {
  w.fixed(s.signature, 64, 'quote signature');
  w.fixed(s.attestationKey, 64, 'attestation key');
  if (version === 3) {
    writeQeReportCertData(w, s.qeReportCertData);
    return;
  }
  const inner = new ByteWriter();
  writeQeReportCertData(inner, s.qeReportCertData);
  writeFramed(w, CERT_DATA_QE_REPORT, inner.finish());
}
