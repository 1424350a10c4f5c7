import { EvidenceError } from '../errors.js';
import { teeOf, teeTypeError } from './header.js';
import { readLayout, writeLayout } from './layout.js';
import type { ByteReader } from './reader.js';
import {
  BODY_SIZES,
  ENCLAVE_REPORT_LAYOUT,
  TD_REPORT10_LAYOUT,
  TD_REPORT15_LAYOUT,
} from './reports.js';
import type { EnclaveReportBody, QuoteBody, QuoteHeader, TdReportBody10, TdReportBody15 } from './types.js';
import { structureError, type ByteWriter } from './writer.js';

/**
 * The quote body. v3/v4 have no descriptor: the header's tee_type picks SGX (384 B) or
 * TD 1.0 (584 B). v5 puts a descriptor first (body type u16 + body size u32; Intel TDX DCAP
 * Quoting Library API, quote v5; dcap-qvl src/quote.rs `Body`), and the attestation key signs
 * it too, so it is part of the signed bytes.
 */
export function parseBody(r: ByteReader, header: QuoteHeader): QuoteBody {
  const tee = teeOf(header);
  if (header.version !== 5) return readBody(r, tee === 'sgx' ? 1 : 2);
  const bodyType = r.u16('body type');
  if (bodyType !== 1 && bodyType !== 2 && bodyType !== 3) {
    throw new EvidenceError('QUOTE_BODY_TYPE_UNSUPPORTED', `v5 body type check: got ${bodyType}, want 1 (SGX), 2 (TD 1.0) or 3 (TD 1.5)`, {
      detail: { got: bodyType, want: [1, 2, 3] },
    });
  }
  checkBodyFitsTee(bodyType, tee, header.teeType);
  const bodySize = r.u32('body size');
  if (bodySize !== BODY_SIZES[bodyType]) {
    throw new EvidenceError('QUOTE_BODY_SIZE_INVALID', `v5 body size check for body type ${bodyType}: got ${bodySize}, want ${BODY_SIZES[bodyType]}`, {
      detail: { bodyType, got: bodySize, want: BODY_SIZES[bodyType] },
    });
  }
  return readBody(r, bodyType);
}

function readBody(r: ByteReader, bodyType: 1 | 2 | 3): QuoteBody {
  switch (bodyType) {
    case 1:
      return { bodyType, tee: 'sgx', report: readLayout<EnclaveReportBody>(r, ENCLAVE_REPORT_LAYOUT, 'enclave report') };
    case 2:
      return { bodyType, tee: 'tdx', report: readLayout<TdReportBody10>(r, TD_REPORT10_LAYOUT, 'TD report') };
    case 3:
      return { bodyType, tee: 'tdx', report: readLayout<TdReportBody15>(r, TD_REPORT15_LAYOUT, 'TD report') };
  }
}

/** An SGX header with a TD body, or the reverse, is rejected (QUOTE_TEE_TYPE_UNSUPPORTED). */
function checkBodyFitsTee(bodyType: 1 | 2 | 3, tee: 'sgx' | 'tdx', teeType: number): void {
  const bodyTee = bodyType === 1 ? 'sgx' : 'tdx';
  if (bodyTee !== tee) throw teeTypeError(teeType, `it does not fit body type ${bodyType} (a ${bodyTee.toUpperCase()} body)`);
}

/** Writes the body (and for v5 its descriptor); rejects combinations the parser would reject. */
export function writeBody(w: ByteWriter, header: QuoteHeader, body: QuoteBody): void {
  const bodyType: number = body.bodyType;
  if (bodyType !== 1 && bodyType !== 2 && bodyType !== 3) throw structureError(`body type ${bodyType} is not 1, 2 or 3`);
  const tee = teeOf(header);
  if (body.tee !== (bodyType === 1 ? 'sgx' : 'tdx') || body.tee !== tee) {
    throw structureError(`body (type ${bodyType}, tee ${String(body.tee)}) does not fit header tee_type 0x${header.teeType.toString(16)}`);
  }
  if (header.version === 5) {
    w.u16(body.bodyType, 'body type');
    w.u32(BODY_SIZES[body.bodyType], 'body size');
  } else if (body.bodyType === 3) {
    throw structureError(`a TD 1.5 body needs a v5 quote, got version ${header.version}`);
  }
  switch (body.bodyType) {
    case 1:
      return writeLayout(w, ENCLAVE_REPORT_LAYOUT, body.report, 'enclave report');
    case 2:
      return writeLayout(w, TD_REPORT10_LAYOUT, body.report, 'TD report');
    case 3:
      return writeLayout(w, TD_REPORT15_LAYOUT, body.report, 'TD report');
  }
}
