import { PolicyError } from './errors.js';
import { TCB_STATUSES, type TcbStatus, type VerifiedEvidence } from './types.js';

/** What the caller accepts beyond authenticity. Every field has a safe default. */
export interface AcceptancePolicy {
  /** Accepted TCB statuses, or 'any'. Default: UpToDate, SWHardeningNeeded. */
  readonly accept: readonly TcbStatus[] | 'any';
  /** Debug enclaves / TDs / VMs are rejected unless true. */
  readonly allowDebug: boolean;
}

/** Parses `--accept` text: a comma list of TCB statuses, or `any`. Unknown names are a usage error. */
export function parseAcceptList(text: string): readonly TcbStatus[] | 'any' {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'any') return 'any';
  const names = trimmed.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const known = new Map(TCB_STATUSES.map((s) => [s.toLowerCase(), s] as const));
  const out: TcbStatus[] = [];
  for (const n of names) {
    const s = known.get(n.toLowerCase());
    if (s === undefined) throw new RangeError(`unknown TCB status '${n}' (known: ${TCB_STATUSES.join(', ')}, or 'any')`);
    out.push(s);
  }
  if (out.length === 0) throw new RangeError('empty --accept list');
  return out;
}

/**
 * The validate step shared by every TEE: debug, then TCB status. Reports every failure at
 * once in `detail.failures`; the code is that of the first failure.
 */
export function validateAcceptance(v: VerifiedEvidence, policy: AcceptancePolicy): void {
  const failures: Array<{ field: string; got: unknown; want: unknown; code: 'DEBUG_NOT_ALLOWED' | 'TCB_STATUS_NOT_ACCEPTED' }> = [];
  if (v.claims.debug && !policy.allowDebug) {
    failures.push({ field: 'debug', got: true, want: false, code: 'DEBUG_NOT_ALLOWED' });
  }
  if (policy.accept !== 'any' && !policy.accept.includes(v.status)) {
    failures.push({ field: 'status', got: v.status, want: policy.accept, code: 'TCB_STATUS_NOT_ACCEPTED' });
  }
  const first = failures[0];
  if (first === undefined) return;
  const message = failures
    .map((f) =>
      f.code === 'DEBUG_NOT_ALLOWED'
        ? `the ${v.tee === 'sgx' ? 'enclave' : v.tee === 'tdx' ? 'TD' : 'VM'} is debuggable (allow with --allow-debug only for development)`
        : `TCB status ${String(f.got)} is not accepted (accepted: ${(f.want as readonly string[]).join(', ')}; change with --accept)`,
    )
    .join('; ');
  throw new PolicyError(first.code, message, { detail: { failures: failures.map(({ field, got, want }) => ({ field, got, want })) } });
}
