/**
 * Offsets of the SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI spec 56860 rev 1.58, Table
 * "ATTESTATION_REPORT Structure"; cross-checked with go-sev-guest abi/abi.go ReportToProto and
 * virtee/sev src/firmware/guest/types/snp.rs). [start, end) pairs; all integers little-endian.
 */
export const REPORT_SIZE = 0x4a0;
export const SIGNATURE_OFFSET = 0x2a0;
/** r and s are 72-byte little-endian integers (spec: ECDSA P-384 with SHA-384 signature format). */
export const SIG_COMPONENT_SIZE = 72;
export const SIG_END = SIGNATURE_OFFSET + 2 * SIG_COMPONENT_SIZE;

export const F = {
  version: 0x000,
  guestSvn: 0x004,
  policy: 0x008,
  familyId: [0x010, 0x020],
  imageId: [0x020, 0x030],
  vmpl: 0x030,
  signatureAlgo: 0x034,
  currentTcb: 0x038,
  platformInfo: 0x040,
  keyInfo: 0x048,
  reportData: [0x050, 0x090],
  measurement: [0x090, 0x0c0],
  hostData: [0x0c0, 0x0e0],
  idKeyDigest: [0x0e0, 0x110],
  authorKeyDigest: [0x110, 0x140],
  reportId: [0x140, 0x160],
  reportIdMa: [0x160, 0x180],
  reportedTcb: 0x180,
  cpuidFamily: 0x188, // v3+
  cpuidModel: 0x189, // v3+
  cpuidStepping: 0x18a, // v3+
  chipId: [0x1a0, 0x1e0],
  committedTcb: 0x1e0,
  currentBuild: 0x1e8,
  currentMinor: 0x1e9,
  currentMajor: 0x1ea,
  committedBuild: 0x1ec,
  committedMinor: 0x1ed,
  committedMajor: 0x1ee,
  launchTcb: 0x1f0,
  launchMitVector: 0x1f8, // v5+
  currentMitVector: 0x200, // v5+
} as const;

export const SUPPORTED_VERSIONS: readonly number[] = [2, 3, 5];
/** SIG_ALGO 1 = ECDSA P-384 with SHA-384 (spec Table "Signature Algorithm Encodings"). */
export const SIG_ALGO_ECDSA_P384_SHA384 = 1;

/** Must-be-zero byte ranges [start, end) for a report version (go-sev-guest abi.go `mbz`). */
export function reservedRanges(version: number): ReadonlyArray<readonly [number, number]> {
  return [
    [0x04c, 0x050],
    [version >= 3 ? 0x18b : 0x188, 0x1a0],
    [0x1eb, 0x1ec],
    [0x1ef, 0x1f0],
    [version >= 5 ? 0x208 : 0x1f8, SIGNATURE_OFFSET],
    // for SIG_ALGO 1 the signature field holds only r and s; the rest of its 512 bytes is reserved
    [SIG_END, REPORT_SIZE],
  ];
}
