import { toHex } from '../../common/bytes.js';
import { u64Hex } from './tcb.js';
import type { SnpReport } from './types.js';

/**
 * Field/value rows for `cloister evidence show`. TCB values are shown raw (0x-hex u64): their
 * split into SPLs depends on the product, which only the VCEK/VLEK tells.
 */
export function describeSnpReport(r: SnpReport): Array<{ field: string; value: string | number | boolean }> {
  const rows: Array<{ field: string; value: string | number | boolean }> = [
    { field: 'format', value: 'SEV-SNP attestation report' },
    { field: 'version', value: r.version },
    { field: 'guest_svn', value: r.guestSvn },
    { field: 'policy', value: u64Hex(r.policy) },
    { field: 'policy.debug', value: (r.policy & (1n << 19n)) !== 0n },
    { field: 'family_id', value: toHex(r.familyId) },
    { field: 'image_id', value: toHex(r.imageId) },
    { field: 'vmpl', value: r.vmpl },
    { field: 'signature_algo', value: r.signatureAlgo },
    { field: 'current_tcb', value: u64Hex(r.currentTcb) },
    { field: 'platform_info', value: u64Hex(r.platformInfo) },
    { field: 'signing_key', value: r.signingKey },
    { field: 'mask_chip_key', value: r.maskChipKey },
    { field: 'author_key_en', value: r.authorKeyEn },
    { field: 'report_data', value: toHex(r.reportData) },
    { field: 'measurement', value: toHex(r.measurement) },
    { field: 'host_data', value: toHex(r.hostData) },
    { field: 'id_key_digest', value: toHex(r.idKeyDigest) },
    { field: 'author_key_digest', value: toHex(r.authorKeyDigest) },
    { field: 'report_id', value: toHex(r.reportId) },
    { field: 'report_id_ma', value: toHex(r.reportIdMa) },
    { field: 'reported_tcb', value: u64Hex(r.reportedTcb) },
  ];
  if (r.cpuid !== undefined) {
    rows.push(
      { field: 'cpuid_fam_id', value: r.cpuid.family },
      { field: 'cpuid_mod_id', value: r.cpuid.model },
      { field: 'cpuid_step', value: r.cpuid.stepping },
    );
  }
  const v = (x: SnpReport['currentVersion']): string => `${x.major}.${x.minor}.${x.build}`;
  rows.push(
    { field: 'chip_id', value: toHex(r.chipId) },
    { field: 'committed_tcb', value: u64Hex(r.committedTcb) },
    { field: 'current_version', value: v(r.currentVersion) },
    { field: 'committed_version', value: v(r.committedVersion) },
    { field: 'launch_tcb', value: u64Hex(r.launchTcb) },
  );
  if (r.launchMitVector !== undefined) rows.push({ field: 'launch_mit_vector', value: u64Hex(r.launchMitVector) });
  if (r.currentMitVector !== undefined) rows.push({ field: 'current_mit_vector', value: u64Hex(r.currentMitVector) });
  rows.push({ field: 'signature_r', value: toHex(r.signatureR) }, { field: 'signature_s', value: toHex(r.signatureS) });
  return rows;
}
