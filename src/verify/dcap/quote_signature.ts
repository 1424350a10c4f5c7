import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { toHex } from '../../common/bytes.js';
import type { DcapQuote } from '../../evidence/dcap/index.js';
import { VerifyError } from '../errors.js';
import { p256FromRaw, type KeyCache } from './keys.js';

/**
 * The quote signature: ECDSA P-256 r||s by the attestation key over header||body (Intel SGX
 * ECDSA Quote Library API, "Quote Signature Data"). The key arrives as raw x||y and is imported
 * through keys.ts (JWK form: measured faster than an SPKI built by prefixing the fixed P-256
 * header on Node 20), cached per verifier because a platform's attestation key repeats.
 */

export function attestationKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 64) throw new VerifyError('QUOTE_SIGNATURE_INVALID', `attestation key length check: got ${raw.length}, want 64`);
  try {
    return p256FromRaw(raw);
  } catch (cause) {
    // An x||y that is not a point on P-256 cannot have signed anything.
    throw new VerifyError('QUOTE_SIGNATURE_INVALID', `attestation key check: ${toHex(raw.subarray(0, 8))}... is not a P-256 point`, { cause });
  }
}

export function verifyQuoteSignature(quote: DcapQuote, cache?: KeyCache): void {
  const sd = quote.signatureData;
  const key = cache === undefined ? attestationKeyObject(sd.attestationKey) : cache.get(sd.attestationKey, () => attestationKeyObject(sd.attestationKey));
  let ok = false;
  try {
    ok = cryptoVerify('sha256', quote.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, sd.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new VerifyError('QUOTE_SIGNATURE_INVALID', 'quote signature check: header||body is not signed by the attestation key');
}
