import { writeBody } from './body.js';
import { checkHeader, HEADER_LAYOUT } from './header.js';
import { writeLayout } from './layout.js';
import { writeSignatureData } from './signature_data.js';
import type { DcapQuote } from './types.js';
import { ByteWriter, structureError } from './writer.js';

/**
 * The exact inverse of parseDcapQuote: `serializeDcapQuote(parseDcapQuote(x))` equals `x`
 * byte for byte, trailing padding (or accepted trailing data) included. Built from the
 * structured fields, never from `signedBytes` (which is derived); raw-byte fields that
 * duplicate structured ones (QE report bytes) must agree with them. Throws EvidenceError
 * QUOTE_STRUCTURE_INVALID (or the parser's header codes) for objects the parser could not
 * have produced.
 */
export function serializeDcapQuote(q: DcapQuote): Uint8Array {
  checkHeader(q.header);
  const w = new ByteWriter();
  writeLayout(w, HEADER_LAYOUT, q.header, 'header');
  writeBody(w, q.header, q.body);

  const sig = new ByteWriter();
  writeSignatureData(sig, q.signatureData, q.header.version);
  w.u32(sig.length, 'signature data length');
  w.bytes(sig.finish(), 'signature data');

  const padding = q.trailingZeroPadding;
  if (!Number.isSafeInteger(padding) || padding < 0) throw structureError(`trailingZeroPadding must be a non-negative integer, got ${String(padding)}`);
  if (q.trailingData !== undefined && q.trailingData.length > 0) {
    if (padding !== 0) throw structureError('trailingData and trailingZeroPadding are exclusive');
    w.bytes(q.trailingData, 'trailing data');
  } else if (padding > 0) {
    w.bytes(new Uint8Array(padding), 'trailing zero padding');
  }
  return w.finish();
}
