import { toHex } from '../../common/bytes.js';
import type { TdReportBody10 } from '../../evidence/dcap/index.js';
import { VerifyError } from '../errors.js';
import type { TcbStatus } from '../types.js';
import type { TcbInfo, TcbLevel, TdxModule } from './tcb_info.js';

/**
 * TCB level matching (Intel QVL Verifiers/Checks/TcbLevelCheck.cpp getMatchingTcbLevel,
 * isCpuSvnHigherOrEqual, isTdxTcbHigherOrEqual; dcap-qvl src/verify.rs match_platform_tcb):
 * the first level, in the order Intel lists them (newest first), whose 16 SGX components and
 * PCESVN (and for TDX the TDX components) are all <= the platform's.
 */
export interface Platform {
  readonly sgxComponents: readonly number[];
  readonly pcesvn: number;
  /** TDX only: TEE_TCB_SVN of the TD report */
  readonly teeTcbSvn?: Uint8Array;
}

export interface Matched {
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
}

function reaches(platform: Platform, level: TcbLevel): boolean {
  if (platform.pcesvn < level.pcesvn) return false;
  for (let i = 0; i < 16; i++) if ((platform.sgxComponents[i] ?? 0) < level.sgxComponents[i]!) return false;
  if (platform.teeTcbSvn !== undefined) {
    const tdx = level.tdxComponents;
    if (tdx === undefined) return false;
    // Intel QVL isTdxTcbHigherOrEqual: when TEE_TCB_SVN[1] (the TDX module major version) is
    // non-zero, components 0 and 1 describe the module and are judged by the TDX module
    // identity instead (matchTdxModule), so the comparison starts at index 2.
    const start = platform.teeTcbSvn[1]! > 0 ? 2 : 0;
    for (let i = start; i < 16; i++) if (platform.teeTcbSvn[i]! < tdx[i]!) return false;
  }
  return true;
}

export function matchTcbLevel(info: TcbInfo, platform: Platform): Matched {
  const level = info.tcbLevels.find((l) => reaches(platform, l));
  if (level === undefined) {
    throw new VerifyError('TCB_LEVEL_NOT_FOUND', `TCB level check: no level of TCB info (FMSPC ${info.fmspc}) is reached by PCESVN ${platform.pcesvn}, SGX components [${platform.sgxComponents.join(',')}]${platform.teeTcbSvn !== undefined ? `, TEE_TCB_SVN ${toHex(platform.teeTcbSvn)}` : ''}`, {
      detail: { fmspc: info.fmspc, tcbEvaluationDataNumber: info.tcbEvaluationDataNumber },
    });
  }
  return { status: level.tcbStatus, advisoryIds: level.advisoryIds };
}

function moduleMismatch(message: string): VerifyError {
  return new VerifyError('TDX_MODULE_IDENTITY_NOT_FOUND', `TDX module check: ${message}`);
}

/** Decoded hex of a TCB info's module identity, once per (cached) TCB info object. */
const moduleBytes = new WeakMap<TdxModule, { mrsigner: Buffer; attributes: Buffer; attributesMask: Buffer }>();

function bytesOf(m: TdxModule): { mrsigner: Buffer; attributes: Buffer; attributesMask: Buffer } {
  let b = moduleBytes.get(m);
  if (b === undefined) {
    b = { mrsigner: Buffer.from(m.mrsigner, 'hex'), attributes: Buffer.from(m.attributes, 'hex'), attributesMask: Buffer.from(m.attributesMask, 'hex') };
    moduleBytes.set(m, b);
  }
  return b;
}

function checkModule(report: TdReportBody10, want: TdxModule, what: string): void {
  const w = bytesOf(want);
  if (Buffer.compare(report.mrSignerSeam, w.mrsigner) !== 0) throw moduleMismatch(`${what} MRSIGNERSEAM got ${toHex(report.mrSignerSeam)}, want ${want.mrsigner}`);
  const attrs = w.attributes;
  const mask = w.attributesMask;
  for (let i = 0; i < 8; i++) {
    if ((report.seamAttributes[i]! & mask[i]!) !== (attrs[i]! & mask[i]!)) {
      throw moduleMismatch(`${what} SEAM attributes got ${toHex(report.seamAttributes)}, want ${want.attributes} under mask ${want.attributesMask}`);
    }
  }
}

/**
 * TDX module identity (Intel QVL QuoteVerifier.cpp 4.1.2.4.11 and TdxModuleCheck.cpp
 * checkTdxModuleTcbStatus): TEE_TCB_SVN[1] is the module major version, TEE_TCB_SVN[0] its
 * ISVSVN. Version 0 is checked against `tdxModule` only and has no status of its own (as Intel
 * QVL and dcap-qvl do); version N > 0 must match identity `TDX_0N` and its TCB levels.
 * Returns the module status, or undefined when there is none to merge.
 */
export function matchTdxModule(info: TcbInfo, report: TdReportBody10): Matched | undefined {
  if (info.id !== 'TDX' || info.tdxModule === undefined) throw moduleMismatch('TDX quote with a TCB info that has no tdxModule');
  const version = report.teeTcbSvn[1]!;
  const isvsvn = report.teeTcbSvn[0]!;
  if (version === 0) {
    checkModule(report, info.tdxModule, 'tdxModule');
    return undefined;
  }
  const wantId = `TDX_${version.toString(16).toUpperCase().padStart(2, '0')}`;
  const identity = info.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === wantId);
  if (identity === undefined) throw moduleMismatch(`no TDX module identity '${wantId}' in the TCB info`);
  checkModule(report, identity, wantId);
  const level = identity.tcbLevels.find((l) => isvsvn >= l.isvsvn);
  if (level === undefined) throw moduleMismatch(`${wantId} ISVSVN ${isvsvn} is below every TCB level of the identity`);
  return { status: level.tcbStatus, advisoryIds: level.advisoryIds };
}
