import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { toHex } from '../../common/bytes.js';
import type { DcapQuote } from '../../evidence/dcap/index.js';
import { VerifyError } from '../errors.js';

/**
 * The quote signature: ECDSA P-256 r||s by the attestation key over header||body (Intel SGX
 * ECDSA Quote Library API, "Quote Signature Data"). The key arrives as raw x||y; prefixing the
 * fixed DER header of a P-256 SubjectPublicKeyInfo (SEQUENCE { SEQUENCE { id-ecPublicKey,
 * prime256v1 }, BIT STRING 04||x||y }) gives an SPKI that createPublicKey imports faster than
 * a JWK.
 */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200' + '04', 'hex');

export function attestationKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 64) throw new VerifyError('QUOTE_SIGNATURE_INVALID', `attestation key length check: got ${raw.length}, want 64`);
  try {
    return createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch (cause) {
    // An x||y that is not a point on P-256 cannot have signed anything.
    throw new VerifyError('QUOTE_SIGNATURE_INVALID', `attestation key check: ${toHex(raw.subarray(0, 8))}... is not a P-256 point`, { cause });
  }
}

export function verifyQuoteSignature(quote: DcapQuote): void {
  const sd = quote.signatureData;
  const key = attestationKeyObject(sd.attestationKey);
  let ok = false;
  try {
    ok = cryptoVerify('sha256', quote.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, sd.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new VerifyError('QUOTE_SIGNATURE_INVALID', 'quote signature check: header||body is not signed by the attestation key');
}
