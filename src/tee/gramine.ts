import { join } from 'node:path';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import { deviceOp, nodeDeviceFs, serialized, text, type DeviceFs } from './device_fs.js';
import { TeeError } from './errors.js';
import type { Evidence, EvidenceProvider } from './provider.js';
import { checkReportData } from './report_data.js';

/**
 * Gramine's attestation pseudo-filesystem (Gramine docs, "Attestation and Secret Provisioning":
 * /dev/attestation/attestation_type, user_report_data, quote). Writing 64 bytes to
 * user_report_data and then reading quote yields a DCAP quote over them.
 */
export const GRAMINE_ROOT = '/dev/attestation';
const HINT = "run inside Gramine with sgx.remote_attestation = 'dcap' in the manifest";

/** SGX quote v3/v4: 48-byte header, report_data at 320 in the 384-byte report body; v5 adds a 6-byte body descriptor. */
function quoteReportDataOffset(quote: Uint8Array): number | undefined {
  const version = quote[0]! | (quote[1]! << 8);
  if (version === 3 || version === 4) return 48 + 320;
  if (version === 5) return 48 + 6 + 320;
  return undefined;
}

export function gramineProvider(o: { root?: string; fs?: DeviceFs } = {}): EvidenceProvider {
  const root = o.root ?? GRAMINE_ROOT;
  const fs = o.fs ?? nodeDeviceFs;
  const file = (name: string): string => join(root, name);

  // One quote at a time: two interleaved write/read pairs would swap report data.
  const getEvidence = serialized(async (reportData: Uint8Array): Promise<Evidence> => {
    checkReportData(reportData);
    const type = text(await deviceOp('gramine attestation_type', file('attestation_type'), () => fs.readFile(file('attestation_type')), HINT));
    if (type !== 'dcap') {
      throw new TeeError('TEE_ATTESTATION_TYPE_UNSUPPORTED', `gramine attestation_type is '${type}', want 'dcap'`, { detail: { attestationType: type } });
    }
    await deviceOp('gramine user_report_data', file('user_report_data'), () => fs.writeFile(file('user_report_data'), reportData), HINT);
    const quote = await deviceOp('gramine quote', file('quote'), () => fs.readFile(file('quote')), HINT);
    // Sanity check that the quote is ours; the verifier's key binding is the real check.
    const off = quote.length >= 2 ? quoteReportDataOffset(quote) : undefined;
    if (off === undefined || quote.length < off + 64) {
      throw new TeeError('TEE_EVIDENCE_INVALID', `gramine quote is ${quote.length} bytes with version ${quote.length >= 2 ? quote[0]! | (quote[1]! << 8) : 'none'}, want a DCAP quote v3-v5`);
    }
    const got = quote.subarray(off, off + 64);
    if (!constantTimeEqual(got, reportData)) {
      throw new TeeError('TEE_EVIDENCE_INVALID', `gramine quote report_data is ${toHex(got)}, want ${toHex(reportData)} (another writer in this process?)`);
    }
    return { tee: 'sgx', evidence: quote };
  });

  return { kind: 'gramine', getEvidence };
}
