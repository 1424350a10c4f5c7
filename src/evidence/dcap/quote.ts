import { isAllZero } from '../../common/bytes.js';
import { EvidenceError } from '../errors.js';
import { parseBody } from './body.js';
import { HEADER_SIZE, parseHeader } from './header.js';
import { ByteReader } from './reader.js';
import { ENCLAVE_REPORT_SIZE } from './reports.js';
import { parseSignatureData } from './signature_data.js';
import type { DcapQuote, ParseDcapQuoteOptions } from './types.js';

/**
 * Parses an Intel DCAP quote: SGX v3/v4/v5 (v5 body type 1) and TDX v4/v5 (body types 2, 3).
 *
 * Layout: header (48) || [v5: body type u16 || body size u32] || body || signature data
 * length u32 || signature data || optional zero padding. The input is copied once; every byte
 * field is a view of that copy. Checks structure only: no signature, chain or policy here.
 * Throws EvidenceError (QUOTE_* / CERT_DATA_*) and nothing else for any input.
 */
export function parseDcapQuote(bytes: Uint8Array, options: ParseDcapQuoteOptions = {}): DcapQuote {
  // One private copy: later changes to the caller's buffer cannot change a parsed quote.
  const buf = new Uint8Array(bytes);
  const r = ByteReader.whole(buf);
  const header = parseHeader(r);
  const body = parseBody(r, header);
  const signedBytes = buf.subarray(0, r.offset);

  const sigLen = r.u32('signature data length');
  const sr = r.sub(sigLen, 'signature data', 'QUOTE_SIGNATURE_DATA_SIZE_INVALID');
  const signatureData = parseSignatureData(sr, header.version);
  // The length field must cover exactly the signature data: real quotes (vectors/tdx/oasis-v4-trailing,
  // dcap-qvl sample v4) put their padding after it, never inside it.
  sr.expectEnd('QUOTE_SIGNATURE_DATA_SIZE_INVALID');

  const trailing = r.rest();
  const base = { header, body, signatureData, signedBytes };
  if (trailing.length === 0) return { ...base, trailingZeroPadding: 0 };
  if (isAllZero(trailing)) {
    if (options.allowTrailingZeroPadding === false && options.allowTrailingData !== true) {
      throw trailingError(trailing.length, buf.length - trailing.length, 'zero padding is not allowed here');
    }
    return { ...base, trailingZeroPadding: trailing.length };
  }
  if (options.allowTrailingData === true) return { ...base, trailingZeroPadding: 0, trailingData: trailing };
  const firstNonZero = trailing.findIndex((b) => b !== 0);
  throw trailingError(trailing.length, buf.length - trailing.length, `byte ${firstNonZero} of them is 0x${trailing[firstNonZero]!.toString(16).padStart(2, '0')}`);
}

function trailingError(count: number, offset: number, why: string): EvidenceError {
  return new EvidenceError('QUOTE_TRAILING_DATA', `trailing data check: ${count} bytes follow the signature data at offset ${offset}; ${why}`, {
    detail: { offset, length: count },
  });
}

/**
 * Cheap sniff (no parsing): version 3/4/5, attestation key type 2 at offset 2, and at least a
 * header plus the smallest body. The parser does the real checks.
 */
export function looksLikeDcapQuote(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_SIZE + ENCLAVE_REPORT_SIZE) return false;
  const version = bytes[0]! | (bytes[1]! << 8);
  const keyType = bytes[2]! | (bytes[3]! << 8);
  return (version === 3 || version === 4 || version === 5) && keyType === 2;
}
