import { type KeyObject, verify as cryptoVerify } from 'node:crypto';
import { isAllZero } from '../../common/bytes.js';
import type { SnpReport } from '../../evidence/snp/index.js';
import { VerifyError } from '../errors.js';

/** P-384 scalars are 48 bytes; the report stores them in 72-byte little-endian fields. */
const P384_BYTES = 48;

function invalid(message: string): never {
  throw new VerifyError('REPORT_SIGNATURE_INVALID', `SEV-SNP report signature: ${message}`);
}

/** 72-byte little-endian -> 48-byte big-endian; the 24 high bytes must be zero. */
function toBigEndian48(le: Uint8Array, name: string): Uint8Array {
  if (!isAllZero(le.subarray(P384_BYTES))) invalid(`${name} does not fit in 48 bytes`);
  const be = new Uint8Array(P384_BYTES);
  for (let i = 0; i < P384_BYTES; i++) be[i] = le[P384_BYTES - 1 - i]!;
  return be;
}

/** ECDSA P-384/SHA-384 over bytes 0x000..0x29F with the VCEK/VLEK key (r||s as ieee-p1363). */
export function verifyReportSignature(report: SnpReport, key: KeyObject): void {
  const sig = Buffer.concat([toBigEndian48(report.signatureR, 'r'), toBigEndian48(report.signatureS, 's')]);
  let ok = false;
  try {
    ok = cryptoVerify('sha384', report.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    ok = false;
  }
  if (!ok) invalid('does not verify with the VCEK/VLEK key');
}
