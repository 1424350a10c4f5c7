import { CERT_DATA_PCK_CHAIN, CERT_DATA_QE_REPORT } from './cert_data.js';
import type { CertificationData, DcapQuote } from './types.js';

/**
 * Small read-only helpers over a parsed quote, shared by the verifier and the CLI so they
 * agree on where things live.
 */

/** The certification data that sits next to the QE report (v3: inline; v4/v5: inside type 6). */
export function innerCertificationData(q: DcapQuote): CertificationData {
  return q.signatureData.qeReportCertData.certificationData;
}

/**
 * The type-5 PCK chain PEM bytes, exactly as in the quote (looking through type 6), or
 * undefined when the quote carries another certification data type (1-4, 7).
 */
export function pckChainPem(q: DcapQuote): Uint8Array | undefined {
  return pckChainOf(innerCertificationData(q));
}

function pckChainOf(cd: CertificationData): Uint8Array | undefined {
  if (cd.type === CERT_DATA_PCK_CHAIN) return cd.data;
  if (cd.type === CERT_DATA_QE_REPORT) return pckChainOf(cd.qeReportCertData.certificationData);
  return undefined;
}

/**
 * The certification data types on the path to the PCK data, outermost first: [5] or [3]
 * for v3, [6, 5] for v4/v5.
 */
export function certificationDataTypes(q: DcapQuote): number[] {
  const inner = innerCertificationData(q).type;
  return q.header.version === 3 ? [inner] : [CERT_DATA_QE_REPORT, inner];
}
