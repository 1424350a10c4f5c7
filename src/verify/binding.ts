import { createHash } from 'node:crypto';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import { PolicyError } from './errors.js';

/**
 * Binding evidence to keys (DESIGN.md "Binding evidence to keys"). report_data is SHA-512
 * over a domain-separated, length-framed structure:
 *
 *   SHA-512( u32be(len(label)) || label || for each field: u32be(len(field)) || field )
 *
 * Labels carry a version so the construction can change without ambiguity:
 * - workload activation:  label "cloister/activation/v1", fields [CSR public key SPKI DER, coordinator nonce]
 * - coordinator evidence: label "cloister/coordinator/v2", fields [root CA SPKI DER, manifest hash (32 bytes or
 *   empty before a manifest is set), audit head (the 63-byte encoding of src/audit/head.ts), client nonce]
 *   (v1 had no audit head; v2 binds it so a client that verifies the attestation can verify the whole
 *   audit history up to that head)
 * The 64-byte digest fills report_data exactly (SGX/TDX/SNP all have 64 bytes), so nothing is
 * padded or truncated (unlike contrast's unframed pubkey||nonce hash).
 */
export const ACTIVATION_LABEL = 'cloister/activation/v1';
export const COORDINATOR_LABEL = 'cloister/coordinator/v2';

export function framedDigest(label: string, fields: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  const frame = (b: Uint8Array) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len);
    h.update(b);
  };
  frame(Buffer.from(label, 'utf8'));
  for (const f of fields) frame(f);
  return new Uint8Array(h.digest());
}

export function activationReportData(csrPublicKeySpki: Uint8Array, nonce: Uint8Array): Uint8Array {
  return framedDigest(ACTIVATION_LABEL, [csrPublicKeySpki, nonce]);
}

export function coordinatorReportData(rootCaSpki: Uint8Array, manifestHash: Uint8Array, auditHead: Uint8Array, nonce: Uint8Array): Uint8Array {
  return framedDigest(COORDINATOR_LABEL, [rootCaSpki, manifestHash, auditHead, nonce]);
}

/** Checks evidence report data (hex, as in claims) against the expected 64 bytes, in constant time. */
export function checkReportData(reportDataHex: string, expected: Uint8Array, what: string): void {
  const got = Buffer.from(reportDataHex, 'hex');
  if (got.length !== 64 || expected.length !== 64 || !constantTimeEqual(got, expected)) {
    throw new PolicyError('REPORT_DATA_MISMATCH', `${what}: report data does not commit to the expected key and nonce`, {
      detail: { failures: [{ field: 'reportData', got: reportDataHex, want: toHex(expected) }] },
    });
  }
}
