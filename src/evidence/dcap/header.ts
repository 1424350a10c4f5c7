import { EvidenceError } from '../errors.js';
import { readLayout, type Layout } from './layout.js';
import type { ByteReader } from './reader.js';
import { ATT_KEY_TYPE_ECDSA_P256, TEE_TYPE_SGX, TEE_TYPE_TDX, type DcapTee, type QuoteHeader } from './types.js';

/**
 * The 48-byte quote header (same layout in v3, v4 and v5; in v3 the tee_type slot is a
 * reserved u32 that must be 0). Intel "SGX ECDSA Quote Library API" sgx_quote_header_t and
 * "Intel TDX DCAP Quoting Library API" Quote Header; go-tdx-guest abi/abi.go headerVersionStart..
 */
export const HEADER_LAYOUT = {
  version: 'u16',
  attestationKeyType: 'u16',
  teeType: 'u32',
  qeSvn: 'u16',
  pceSvn: 'u16',
  qeVendorId: 16,
  userData: 20,
} as const satisfies Layout<QuoteHeader>;

export const HEADER_SIZE = 48;

/** Reads the header and rejects versions, key types and TEE types this parser does not know. */
export function parseHeader(r: ByteReader): QuoteHeader {
  const h = readLayout<QuoteHeader>(r, HEADER_LAYOUT, 'header');
  checkHeader(h);
  return h;
}

/** Shared by parser and serializer, so both accept exactly the same headers. */
export function checkHeader(h: QuoteHeader): void {
  const version: number = h.version;
  if (version !== 3 && version !== 4 && version !== 5) {
    throw new EvidenceError('QUOTE_VERSION_UNSUPPORTED', `quote version check: got ${version}, want 3, 4 or 5`, {
      detail: { got: version, want: [3, 4, 5] },
    });
  }
  if (h.attestationKeyType !== ATT_KEY_TYPE_ECDSA_P256) {
    throw new EvidenceError(
      'QUOTE_ATTESTATION_KEY_TYPE_UNSUPPORTED',
      `attestation key type check: got ${h.attestationKeyType}, want ${ATT_KEY_TYPE_ECDSA_P256} (ECDSA P-256)`,
      { detail: { got: h.attestationKeyType, want: ATT_KEY_TYPE_ECDSA_P256 } },
    );
  }
  if (version === 3 && h.teeType !== TEE_TYPE_SGX) {
    // v3 predates TDX: the slot is reserved and SGX-only (Intel SGX ECDSA Quote Library API).
    throw teeTypeError(h.teeType, 'a v3 quote is SGX only (reserved field must be 0)');
  }
  if (h.teeType !== TEE_TYPE_SGX && h.teeType !== TEE_TYPE_TDX) {
    throw teeTypeError(h.teeType, 'want 0x00000000 (SGX) or 0x00000081 (TDX)');
  }
}

export function teeOf(h: Pick<QuoteHeader, 'teeType'>): DcapTee {
  return h.teeType === TEE_TYPE_TDX ? 'tdx' : 'sgx';
}

export function teeTypeError(teeType: number, why: string): EvidenceError {
  const got = `0x${teeType.toString(16).padStart(8, '0')}`;
  return new EvidenceError('QUOTE_TEE_TYPE_UNSUPPORTED', `quote TEE type check: got ${got}; ${why}`, { detail: { got } });
}
