/**
 * Intel DCAP quotes (SGX v3/v4/v5, TDX v4/v5): parse, serialize, describe. Pure: no I/O, no
 * crypto, no trust decisions (those live in src/verify/dcap/).
 */
export { parseDcapQuote, looksLikeDcapQuote } from './quote.js';
export { serializeDcapQuote } from './serialize.js';
export { describeDcapQuote, type DescribedField } from './describe.js';
export { pckChainPem, innerCertificationData, certificationDataTypes } from './accessors.js';
export {
  isSgxDebug,
  isTdDebug,
  ENCLAVE_REPORT_SIZE,
  TD_REPORT10_SIZE,
  TD_REPORT15_SIZE,
  BODY_TYPE_SGX,
  BODY_TYPE_TD10,
  BODY_TYPE_TD15,
} from './reports.js';
export { HEADER_SIZE } from './header.js';
export { CERT_DATA_PCK_CHAIN, CERT_DATA_QE_REPORT } from './cert_data.js';
export { DCAP_EVIDENCE_CODES } from './codes.js';
export {
  TEE_TYPE_SGX,
  TEE_TYPE_TDX,
  ATT_KEY_TYPE_ECDSA_P256,
  type DcapTee,
  type QuoteVersion,
  type QuoteHeader,
  type EnclaveReportBody,
  type TdReportBody10,
  type TdReportBody15,
  type QuoteBody,
  type CertificationData,
  type QeReportCertificationData,
  type QuoteSignatureData,
  type DcapQuote,
  type ParseDcapQuoteOptions,
} from './types.js';
