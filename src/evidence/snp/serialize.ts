import { EvidenceError } from '../errors.js';
import { F, REPORT_SIZE, SIG_COMPONENT_SIZE, SIGNATURE_OFFSET, SUPPORTED_VERSIONS } from './layout.js';
import type { SnpReport } from './types.js';

const KEY_CODES = { vcek: 0, vlek: 1, none: 7 } as const;

function put(out: Uint8Array, at: readonly [number, number], value: Uint8Array, name: string): void {
  if (value.length !== at[1] - at[0]) {
    throw new EvidenceError('REPORT_FIELD_INVALID', `serialize SEV-SNP report: ${name} has ${value.length} bytes, want ${at[1] - at[0]}`);
  }
  out.set(value, at[0]);
}

/**
 * Writes a report back into its 1184-byte ABI form: the exact inverse of parseSnpReport
 * (reserved ranges are zero, which the parser requires). Built from the typed fields, not
 * from `bytes`, so a report assembled or edited field by field (tests, tools) serializes too.
 */
export function serializeSnpReport(r: SnpReport): Uint8Array {
  if (!SUPPORTED_VERSIONS.includes(r.version)) {
    throw new EvidenceError('REPORT_FIELD_INVALID', `serialize SEV-SNP report: version ${r.version} is not one of ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  const out = new Uint8Array(REPORT_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(F.version, r.version, true);
  dv.setUint32(F.guestSvn, r.guestSvn, true);
  dv.setBigUint64(F.policy, r.policy, true);
  put(out, F.familyId, r.familyId, 'familyId');
  put(out, F.imageId, r.imageId, 'imageId');
  dv.setUint32(F.vmpl, r.vmpl, true);
  dv.setUint32(F.signatureAlgo, r.signatureAlgo, true);
  dv.setBigUint64(F.currentTcb, r.currentTcb, true);
  dv.setBigUint64(F.platformInfo, r.platformInfo, true);
  const keyInfo = (KEY_CODES[r.signingKey] << 2) | (r.maskChipKey ? 2 : 0) | (r.authorKeyEn ? 1 : 0);
  dv.setUint32(F.keyInfo, keyInfo, true);
  put(out, F.reportData, r.reportData, 'reportData');
  put(out, F.measurement, r.measurement, 'measurement');
  put(out, F.hostData, r.hostData, 'hostData');
  put(out, F.idKeyDigest, r.idKeyDigest, 'idKeyDigest');
  put(out, F.authorKeyDigest, r.authorKeyDigest, 'authorKeyDigest');
  put(out, F.reportId, r.reportId, 'reportId');
  put(out, F.reportIdMa, r.reportIdMa, 'reportIdMa');
  dv.setBigUint64(F.reportedTcb, r.reportedTcb, true);
  if (r.version >= 3 && r.cpuid !== undefined) {
    out[F.cpuidFamily] = r.cpuid.family;
    out[F.cpuidModel] = r.cpuid.model;
    out[F.cpuidStepping] = r.cpuid.stepping;
  }
  put(out, F.chipId, r.chipId, 'chipId');
  dv.setBigUint64(F.committedTcb, r.committedTcb, true);
  out[F.currentBuild] = r.currentVersion.build;
  out[F.currentMinor] = r.currentVersion.minor;
  out[F.currentMajor] = r.currentVersion.major;
  out[F.committedBuild] = r.committedVersion.build;
  out[F.committedMinor] = r.committedVersion.minor;
  out[F.committedMajor] = r.committedVersion.major;
  dv.setBigUint64(F.launchTcb, r.launchTcb, true);
  if (r.version >= 5) {
    dv.setBigUint64(F.launchMitVector, r.launchMitVector ?? 0n, true);
    dv.setBigUint64(F.currentMitVector, r.currentMitVector ?? 0n, true);
  }
  put(out, [SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIG_COMPONENT_SIZE], r.signatureR, 'signatureR');
  put(out, [SIGNATURE_OFFSET + SIG_COMPONENT_SIZE, SIGNATURE_OFFSET + 2 * SIG_COMPONENT_SIZE], r.signatureS, 'signatureS');
  return out;
}
