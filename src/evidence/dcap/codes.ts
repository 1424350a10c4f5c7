import type { CodeTable } from '../../common/errors.js';

/** Stable codes for DCAP quote parsing. Never rename; add new codes at the end. */
export const DCAP_EVIDENCE_CODES = {
  QUOTE_TRUNCATED: 'The quote ends before a field its header or length fields promise.',
  QUOTE_TRAILING_DATA: 'Non-zero bytes follow the signature data (zero padding is tolerated).',
  QUOTE_VERSION_UNSUPPORTED: 'The quote version is not 3, 4 or 5.',
  QUOTE_TEE_TYPE_UNSUPPORTED: 'The header TEE type is neither SGX (0x00) nor TDX (0x81), or does not fit the version/body.',
  QUOTE_ATTESTATION_KEY_TYPE_UNSUPPORTED: 'The attestation key type is not 2 (ECDSA P-256).',
  QUOTE_BODY_TYPE_UNSUPPORTED: 'A v5 body descriptor names an unknown body type.',
  QUOTE_BODY_SIZE_INVALID: 'A v5 body size does not match its body type.',
  QUOTE_SIGNATURE_DATA_SIZE_INVALID: 'The signature data length field does not match its content.',
  CERT_DATA_TYPE_UNSUPPORTED: 'The certification data type is unknown (known: 1-7; verifiable: 5, 6 wrapping 5).',
  CERT_DATA_SIZE_INVALID: 'A certification data size field does not match its content.',
  QUOTE_STRUCTURE_INVALID: 'A quote object handed to the serializer has a field of the wrong size or an impossible version/TEE/body combination.',
} as const satisfies CodeTable;
