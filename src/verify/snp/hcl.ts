import { createHash } from 'node:crypto';
import { constantTimeEqual, isAllZero, toHex } from '../../common/bytes.js';
import { parseHclReport, parseSnpReport } from '../../evidence/snp/index.js';
import { VerifyError } from '../errors.js';
import type { SnpCertInput } from './inputs.js';
import { verifySnpReport, type SnpVerifyContext, type VerifiedSnpEvidence } from './verify.js';

/**
 * Azure CVM HCL report: verifies the embedded SNP report, then the binding of the runtime
 * data (the JSON with the vTPM AK and user data) to it: REPORT_DATA[0:n] = H(runtime data) with
 * the hash named in the request data (SHA-256 on Azure: n = 32) and the rest of REPORT_DATA zero
 * (trustee deps/verifier/src/az_snp_vtpm/mod.rs verify_report_data; az-cvm-vtpm hcl.rs).
 */
export function verifyHclReport(hclBytes: Uint8Array, certs: SnpCertInput, ctx: SnpVerifyContext): VerifiedSnpEvidence {
  const hcl = parseHclReport(hclBytes);
  const report = parseSnpReport(hcl.snpReportBytes);
  const verified = verifySnpReport(report, certs, ctx);
  const digest = new Uint8Array(createHash(hcl.hashType).update(hcl.runtimeData).digest());
  const head = report.reportData.subarray(0, digest.length);
  if (!constantTimeEqual(head, digest)) {
    throw new VerifyError('HCL_RUNTIME_DATA_MISMATCH', `REPORT_DATA[0:${digest.length}]: got ${toHex(head)}, want ${toHex(digest)} (${hcl.hashType} of the HCL runtime data)`, {
      detail: { got: toHex(head), want: toHex(digest) },
    });
  }
  const tail = report.reportData.subarray(digest.length);
  if (!isAllZero(tail)) {
    throw new VerifyError('HCL_RUNTIME_DATA_MISMATCH', `REPORT_DATA[${digest.length}:64]: got ${toHex(tail)}, want zeros`);
  }
  return verified;
}
