import { toHex } from '../../common/bytes.js';
import { certificationDataTypes, pckChainPem } from './accessors.js';
import { BODY_SIZES, isSgxDebug, isTdDebug } from './reports.js';
import type { DcapQuote, EnclaveReportBody, TdReportBody10 } from './types.js';

export type DescribedField = { field: string; value: string | number | boolean };

const BODY_NAMES: Readonly<Record<1 | 2 | 3, string>> = { 1: 'SGX enclave report', 2: 'TD report (TDX 1.0)', 3: 'TD report (TDX 1.5)' };
const CERT_DATA_NAMES: Readonly<Record<number, string>> = {
  1: 'PPID cleartext',
  2: 'PPID RSA-2048 encrypted',
  3: 'PPID RSA-3072 encrypted',
  4: 'PCK leaf certificate',
  5: 'PCK certificate chain (PEM)',
  6: 'QE report certification data',
  7: 'platform manifest',
};

/**
 * The decoded fields a person wants to see (`cloister evidence show`), in wire order, byte
 * strings as lowercase hex. Purely descriptive: nothing here says whether the quote is genuine.
 */
export function describeDcapQuote(q: DcapQuote): DescribedField[] {
  const out: DescribedField[] = [];
  const add = (field: string, value: string | number | boolean | Uint8Array): void => {
    out.push({ field, value: value instanceof Uint8Array ? toHex(value) : value });
  };
  const h = q.header;
  add('version', h.version);
  add('tee', q.body.tee);
  add('teeType', `0x${h.teeType.toString(16).padStart(8, '0')}`);
  add('attestationKeyType', h.attestationKeyType);
  add('qeSvn', h.qeSvn);
  add('pceSvn', h.pceSvn);
  add('qeVendorId', h.qeVendorId);
  add('userData', h.userData);
  add('bodyType', `${q.body.bodyType} (${BODY_NAMES[q.body.bodyType]})`);
  if (h.version === 5) add('bodySize', BODY_SIZES[q.body.bodyType]);
  if (q.body.tee === 'sgx') {
    describeEnclaveReport(q.body.report, 'report', add);
    add('debug', isSgxDebug(q.body.report));
  } else {
    describeTdReport(q.body.report, add);
    if (q.body.bodyType === 3) {
      add('report.teeTcbSvn2', q.body.report.teeTcbSvn2);
      add('report.mrServiceTd', q.body.report.mrServiceTd);
    }
    add('debug', isTdDebug(q.body.report));
  }
  const s = q.signatureData;
  add('attestationKey', s.attestationKey);
  add('signature', s.signature);
  const types = certificationDataTypes(q);
  add('certificationDataType', types.map((t) => `${t} (${CERT_DATA_NAMES[t] ?? 'unknown'})`).join(' -> '));
  add('certificationDataSize', s.qeReportCertData.certificationData.data.length);
  const pem = pckChainPem(q);
  add('pckChainCertificates', pem === undefined ? 0 : countPemCertificates(pem));
  const qe = s.qeReportCertData.qeReport;
  add('qeReport.mrEnclave', qe.mrEnclave);
  add('qeReport.mrSigner', qe.mrSigner);
  add('qeReport.isvProdId', qe.isvProdId);
  add('qeReport.isvSvn', qe.isvSvn);
  add('qeReport.miscSelect', hex32(qe.miscSelect));
  add('qeReport.attributes', qe.attributes);
  add('qeReport.reportData', qe.reportData);
  add('qeAuthData', s.qeReportCertData.qeAuthData);
  add('trailingZeroPadding', q.trailingZeroPadding);
  if (q.trailingData !== undefined) add('trailingDataLength', q.trailingData.length);
  return out;
}

type Add = (field: string, value: string | number | boolean | Uint8Array) => void;

function describeEnclaveReport(r: EnclaveReportBody, prefix: string, add: Add): void {
  add(`${prefix}.cpuSvn`, r.cpuSvn);
  add(`${prefix}.miscSelect`, hex32(r.miscSelect));
  add(`${prefix}.isvExtProdId`, r.isvExtProdId);
  add(`${prefix}.attributes`, r.attributes);
  add(`${prefix}.mrEnclave`, r.mrEnclave);
  add(`${prefix}.mrSigner`, r.mrSigner);
  add(`${prefix}.configId`, r.configId);
  add(`${prefix}.isvProdId`, r.isvProdId);
  add(`${prefix}.isvSvn`, r.isvSvn);
  add(`${prefix}.configSvn`, r.configSvn);
  add(`${prefix}.isvFamilyId`, r.isvFamilyId);
  add(`${prefix}.reportData`, r.reportData);
}

function describeTdReport(r: TdReportBody10, add: Add): void {
  add('report.teeTcbSvn', r.teeTcbSvn);
  add('report.mrSeam', r.mrSeam);
  add('report.mrSignerSeam', r.mrSignerSeam);
  add('report.seamAttributes', r.seamAttributes);
  add('report.tdAttributes', r.tdAttributes);
  add('report.xfam', r.xfam);
  add('report.mrTd', r.mrTd);
  add('report.mrConfigId', r.mrConfigId);
  add('report.mrOwner', r.mrOwner);
  add('report.mrOwnerConfig', r.mrOwnerConfig);
  add('report.rtmr0', r.rtmr0);
  add('report.rtmr1', r.rtmr1);
  add('report.rtmr2', r.rtmr2);
  add('report.rtmr3', r.rtmr3);
  add('report.reportData', r.reportData);
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Counts PEM certificate blocks without parsing them (the verifier parses; this only describes). */
function countPemCertificates(pem: Uint8Array): number {
  return Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1').split('-----BEGIN CERTIFICATE-----').length - 1;
}
