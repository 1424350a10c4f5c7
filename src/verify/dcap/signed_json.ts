import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { fromHexStrict } from '../../common/bytes.js';

/**
 * Intel signs TCB info and QE identity as ECDSA P-256 / SHA-256 over the exact bytes of the
 * inner JSON object text, with a raw r||s signature (64 bytes, hex) beside it (Intel PCS API;
 * dcap-qvl src/verify.rs verify_tcb_info_signature). The text is never re-serialized.
 */
export function jsonSignatureValid(text: string, signatureHex: string, key: KeyObject): boolean {
  const sig = fromHexStrict(signatureHex.trim());
  if (sig === undefined || sig.length !== 64) return false;
  try {
    return cryptoVerify('sha256', Buffer.from(text, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}
