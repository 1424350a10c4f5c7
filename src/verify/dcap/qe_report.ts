import * as nodeCrypto from 'node:crypto';
import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { constantTimeEqual, isAllZero, toHex } from '../../common/bytes.js';
import type { DcapQuote, EnclaveReportBody } from '../../evidence/dcap/index.js';
import { VerifyError } from '../errors.js';
import type { TcbStatus } from '../types.js';
import type { QeIdentity } from './qe_identity.js';

/**
 * The Quoting Enclave's report: signed by the PCK key, binds the attestation key, and must be
 * the QE Intel describes in the QE identity. Rules: Intel QVL QuoteVerifier.cpp (4.1.2.4.x) and
 * EnclaveIdentityV2 / dcap-qvl src/verify.rs verify_qe_report_data, verify_qe_identity_policy.
 */
export function verifyQeReportSignature(quote: DcapQuote, pckKey: KeyObject): void {
  const qe = quote.signatureData.qeReportCertData;
  let ok = false;
  try {
    ok = cryptoVerify('sha256', qe.qeReportBytes, { key: pckKey, dsaEncoding: 'ieee-p1363' }, qe.qeReportSignature);
  } catch {
    ok = false;
  }
  if (!ok) throw new VerifyError('QE_REPORT_SIGNATURE_INVALID', 'QE report signature check: the QE report is not signed by the PCK certificate key');
}

/**
 * SHA-256 of a || b. crypto.hash (Node >= 20.12) is a one-shot digest that skips the Hash
 * object; older Node 20 releases use createHash.
 */
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;
function sha256Of(a: Uint8Array, b: Uint8Array): Buffer {
  if (oneShot === undefined) return createHash('sha256').update(a).update(b).digest();
  return oneShot('sha256', Buffer.concat([a, b]), 'buffer');
}

/**
 * SHA-256(attestation key || QE auth data) per exact bytes, kept by a verifier: both repeat for
 * every quote of a platform and the digest is a pure function of them, so the comparison with
 * report_data below still runs on every quote (only the hashing of identical bytes is saved).
 */
export class BindingDigests {
  private readonly map = new Map<string, Buffer>();
  constructor(private readonly max = 4096) {}
  of(attestationKey: Uint8Array, authData: Uint8Array): Buffer {
    // The attestation key is always 64 bytes (parser), so the concatenation is unambiguous.
    const k = latin1(attestationKey) + latin1(authData);
    let d = this.map.get(k);
    if (d === undefined) {
      d = sha256Of(attestationKey, authData);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(k, d);
    }
    return d;
  }
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** report_data[0:32] == SHA-256(attestation key || QE auth data) and report_data[32:64] == 0. */
export function verifyQeReportBinding(quote: DcapQuote, digests?: BindingDigests): void {
  const sd = quote.signatureData;
  const rd = sd.qeReportCertData.qeReport.reportData;
  const ak = sd.attestationKey;
  const auth = sd.qeReportCertData.qeAuthData;
  const want = digests !== undefined && ak.length === 64 ? digests.of(ak, auth) : sha256Of(ak, auth);
  const got = rd.subarray(0, 32);
  if (!constantTimeEqual(got, want)) {
    throw new VerifyError('QE_REPORT_BINDING_INVALID', `QE report binding check: report_data[0:32] got ${toHex(got)}, want ${toHex(want)}`);
  }
  if (!isAllZero(rd.subarray(32, 64))) {
    throw new VerifyError('QE_REPORT_BINDING_INVALID', `QE report binding check: report_data[32:64] got ${toHex(rd.subarray(32, 64))}, want zeros`);
  }
}

/** Matches the QE report against the QE identity; returns the QE TCB status and advisories. */
export function matchQeIdentity(report: EnclaveReportBody, id: QeIdentity): { status: TcbStatus; advisoryIds: readonly string[] } {
  if (!constantTimeEqual(report.mrSigner, id.mrsigner)) {
    throw new VerifyError('QE_IDENTITY_MISMATCH', `QE MRSIGNER check: got ${toHex(report.mrSigner)}, want ${toHex(id.mrsigner)}`);
  }
  if (report.isvProdId !== id.isvprodid) {
    throw new VerifyError('QE_IDENTITY_MISMATCH', `QE ISVPRODID check: got ${report.isvProdId}, want ${id.isvprodid}`);
  }
  // MISCSELECT is a u32 on both sides (hex text in the identity, little-endian in the report).
  if (((report.miscSelect & id.miscselectMask) >>> 0) !== ((id.miscselect & id.miscselectMask) >>> 0)) {
    throw new VerifyError('QE_IDENTITY_MISMATCH', `QE MISCSELECT check: got ${hex32(report.miscSelect)}, want ${hex32(id.miscselect)} under mask ${hex32(id.miscselectMask)}`);
  }
  for (let i = 0; i < 16; i++) {
    const m = id.attributesMask[i]!;
    if ((report.attributes[i]! & m) !== (id.attributes[i]! & m)) {
      throw new VerifyError('QE_IDENTITY_MISMATCH', `QE ATTRIBUTES check: got ${toHex(report.attributes)}, want ${toHex(id.attributes)} under mask ${toHex(id.attributesMask)}`);
    }
  }
  // Levels are ordered newest first; the first one the QE's ISVSVN reaches decides.
  const level = id.tcbLevels.find((l) => report.isvSvn >= l.isvsvn);
  if (level === undefined) {
    throw new VerifyError('QE_TCB_LEVEL_NOT_FOUND', `QE TCB level check: ISVSVN ${report.isvSvn} is below every level (lowest ${Math.min(...id.tcbLevels.map((l) => l.isvsvn))})`);
  }
  return { status: level.tcbStatus, advisoryIds: level.advisoryIds };
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
