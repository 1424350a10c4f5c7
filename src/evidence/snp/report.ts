import { toHex } from '../../common/bytes.js';
import { EvidenceError } from '../errors.js';
import {
  F,
  REPORT_SIZE,
  SIG_ALGO_ECDSA_P384_SHA384,
  SIG_COMPONENT_SIZE,
  SIGNATURE_OFFSET,
  SUPPORTED_VERSIONS,
  reservedRanges,
} from './layout.js';
import type { SnpReport, SnpSigningKey } from './types.js';

const SIGNING_KEYS: Readonly<Record<number, SnpSigningKey>> = { 0: 'vcek', 1: 'vlek', 7: 'none' };

/** Cheap sniffing for format detection: the size and a known version. The parser does the real checks. */
export function looksLikeSnpReport(bytes: Uint8Array): boolean {
  if (bytes.length !== REPORT_SIZE) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  return SUPPORTED_VERSIONS.includes(v);
}

/**
 * Parses an SEV-SNP ATTESTATION_REPORT (versions 2, 3 and 5). Structure only: no signature or
 * trust decisions. Rejects wrong sizes, unknown versions, signature algorithms other than
 * ECDSA P-384/SHA-384, reserved SIGNING_KEY values and non-zero reserved ranges.
 */
export function parseSnpReport(input: Uint8Array): SnpReport {
  if (input.length < REPORT_SIZE) {
    throw new EvidenceError('REPORT_TRUNCATED', `SEV-SNP report: got ${input.length} bytes, want ${REPORT_SIZE}`, { detail: { got: input.length, want: REPORT_SIZE } });
  }
  if (input.length > REPORT_SIZE) {
    throw new EvidenceError('REPORT_TRAILING_DATA', `SEV-SNP report: got ${input.length} bytes, want ${REPORT_SIZE}`, { detail: { got: input.length, want: REPORT_SIZE } });
  }
  // One private copy: every byte field below is a view into it, so later changes to the
  // caller's buffer cannot change a report that was already checked.
  const b = input.slice();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u64 = (o: number): bigint => dv.getBigUint64(o, true);
  const view = (r: readonly [number, number]): Uint8Array => b.subarray(r[0], r[1]);

  const version = u32(F.version);
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new EvidenceError('REPORT_VERSION_UNSUPPORTED', `SEV-SNP report version: got ${version}, want one of ${SUPPORTED_VERSIONS.join(', ')}`, { detail: { got: version } });
  }
  const signatureAlgo = u32(F.signatureAlgo);
  if (signatureAlgo !== SIG_ALGO_ECDSA_P384_SHA384) {
    throw new EvidenceError('REPORT_SIGNATURE_ALGO_UNSUPPORTED', `SEV-SNP report SIG_ALGO: got ${signatureAlgo}, want 1 (ECDSA P-384 SHA-384)`, { detail: { got: signatureAlgo } });
  }
  for (const [lo, hi] of reservedRanges(version)) {
    for (let i = lo; i < hi; i++) {
      if (b[i] !== 0) {
        throw new EvidenceError('REPORT_RESERVED_NONZERO', `SEV-SNP report reserved range 0x${lo.toString(16)}..0x${hi.toString(16)} is not zero: ${toHex(b.subarray(lo, hi))}`, { detail: { start: lo, end: hi, offset: i } });
      }
    }
  }
  // KEY_INFO: bits 31:5 reserved; SIGNING_KEY (bits 4:2) values 2-6 reserved (go-sev-guest abi.go ParseSignerInfo).
  const keyInfo = u32(F.keyInfo);
  const signingKey = SIGNING_KEYS[(keyInfo >>> 2) & 7];
  if (keyInfo >>> 5 !== 0 || signingKey === undefined) {
    throw new EvidenceError('REPORT_RESERVED_NONZERO', `SEV-SNP report KEY_INFO: got 0x${keyInfo.toString(16)}, reserved bits or SIGNING_KEY value set`, { detail: { keyInfo } });
  }

  return {
    bytes: b,
    version,
    guestSvn: u32(F.guestSvn),
    policy: u64(F.policy),
    familyId: view(F.familyId),
    imageId: view(F.imageId),
    vmpl: u32(F.vmpl),
    signatureAlgo,
    currentTcb: u64(F.currentTcb),
    platformInfo: u64(F.platformInfo),
    keyInfo,
    signingKey,
    maskChipKey: (keyInfo & 2) !== 0,
    authorKeyEn: (keyInfo & 1) !== 0,
    reportData: view(F.reportData),
    measurement: view(F.measurement),
    hostData: view(F.hostData),
    idKeyDigest: view(F.idKeyDigest),
    authorKeyDigest: view(F.authorKeyDigest),
    reportId: view(F.reportId),
    reportIdMa: view(F.reportIdMa),
    reportedTcb: u64(F.reportedTcb),
    cpuid: version >= 3 ? { family: b[F.cpuidFamily]!, model: b[F.cpuidModel]!, stepping: b[F.cpuidStepping]! } : undefined,
    chipId: view(F.chipId),
    committedTcb: u64(F.committedTcb),
    currentVersion: { major: b[F.currentMajor]!, minor: b[F.currentMinor]!, build: b[F.currentBuild]! },
    committedVersion: { major: b[F.committedMajor]!, minor: b[F.committedMinor]!, build: b[F.committedBuild]! },
    launchTcb: u64(F.launchTcb),
    launchMitVector: version >= 5 ? u64(F.launchMitVector) : undefined,
    currentMitVector: version >= 5 ? u64(F.currentMitVector) : undefined,
    signedBytes: b.subarray(0, SIGNATURE_OFFSET),
    signatureR: b.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIG_COMPONENT_SIZE),
    signatureS: b.subarray(SIGNATURE_OFFSET + SIG_COMPONENT_SIZE, SIGNATURE_OFFSET + 2 * SIG_COMPONENT_SIZE),
  };
}
