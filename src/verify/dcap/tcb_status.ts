import type { TcbStatus } from '../types.js';
import { TCB_STATUSES } from '../types.js';

/**
 * TCB status order and merging. Severity order and the QE rule follow dcap-qvl
 * src/tcb_info.rs (TcbStatus::severity, converge_with_qe), which mirrors Intel QVL
 * TcbLevelCheck.cpp convergeTcbStatusWithQeTcbStatus; the TDX module rule follows Intel QVL
 * Verifiers/Checks/TdxModuleCheck.cpp convergeTcbStatusWithTdxModuleStatus.
 */
const SEVERITY: Readonly<Record<TcbStatus, number>> = {
  UpToDate: 0,
  SWHardeningNeeded: 1,
  ConfigurationNeeded: 2,
  ConfigurationAndSWHardeningNeeded: 3,
  OutOfDate: 4,
  OutOfDateConfigurationNeeded: 5,
  Revoked: 6,
};

export function isTcbStatus(s: string): s is TcbStatus {
  return (TCB_STATUSES as readonly string[]).includes(s);
}

export function worse(a: TcbStatus, b: TcbStatus): TcbStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/**
 * Platform status merged with a QE identity or TDX module status (both of which only say
 * UpToDate / OutOfDate / Revoked in practice): an OutOfDate component turns a
 * configuration-needing platform into OutOfDateConfigurationNeeded (Intel does exactly this for
 * both); otherwise the worse status wins.
 */
export function convergeStatus(platform: TcbStatus, component: TcbStatus): TcbStatus {
  if (component === 'OutOfDate' && (platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded')) {
    return 'OutOfDateConfigurationNeeded';
  }
  return worse(platform, component);
}

/** Advisory IDs: union, first occurrence order. */
export function unionAdvisories(...lists: ReadonlyArray<readonly string[]>): string[] {
  const out: string[] = [];
  for (const l of lists) for (const id of l) if (!out.includes(id)) out.push(id);
  return out;
}
