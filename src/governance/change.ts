import { canonicalJson } from '../common/jcs.js';
import type { Manifest } from '../manifest/index.js';

/**
 * What kind of change a proposal is, which picks its approval threshold. A "package update" is
 * MarbleRun's notion (docs: "Update a manifest" -> package SecurityVersion bumps): every
 * difference between the two manifests is a RAISE of a package's minimum security version,
 * i.e. it only refuses older code or firmware. The fields that count:
 * - sgx.minSecurityVersion (ISVSVN): higher;
 * - snp.minimumTcb (bootloader, tee, snp, microcode, fmc): every component >= and one higher;
 * - tdx.minimumTeeTcbSvn (16 SVN bytes): every byte >= and one higher.
 * An absent minimum counts as all zero; removing one lowers it. Anything else (measurements,
 * a new package, workloads, secrets, users, a lowered or mixed change) is a manifest update.
 */
export type ChangeKind =
  | { readonly kind: 'none' }
  | { readonly kind: 'package-update'; readonly packages: readonly string[] }
  | { readonly kind: 'manifest-update'; readonly reason: string };

type Obj = Record<string, unknown>;
const SECURITY_FIELDS: Readonly<Record<string, string>> = { sgx: 'minSecurityVersion', snp: 'minimumTcb', tdx: 'minimumTeeTcbSvn' };
const SNP_TCB = ['bootloader', 'tee', 'snp', 'microcode', 'fmc'];

export function classifyChange(current: Manifest, proposed: Manifest): ChangeKind {
  const cur = current as unknown as Obj;
  const next = proposed as unknown as Obj;
  if (canonicalJson(cur) === canonicalJson(next)) return { kind: 'none' };
  const keys = new Set([...Object.keys(cur), ...Object.keys(next)]);
  for (const k of [...keys].sort()) {
    if (k !== 'packages' && canonicalJson(cur[k] ?? null) !== canonicalJson(next[k] ?? null)) return full(`${k} changed`);
  }
  const curPk = (cur.packages ?? {}) as Obj;
  const nextPk = (next.packages ?? {}) as Obj;
  const names = Object.keys(curPk).sort();
  if (canonicalJson(names) !== canonicalJson(Object.keys(nextPk).sort())) return full('packages were added or removed');
  const raised: string[] = [];
  for (const name of names) {
    const r = comparePackage(curPk[name] as Obj, nextPk[name] as Obj);
    if (typeof r === 'string') return full(`package ${name}: ${r}`);
    if (r) raised.push(name);
  }
  return raised.length === 0 ? full('packages changed') : { kind: 'package-update', packages: raised };
}

const full = (reason: string): ChangeKind => ({ kind: 'manifest-update', reason });

/** true = a security version was raised, false = unchanged, string = why it is more than a raise. */
function comparePackage(a: Obj, b: Obj): boolean | string {
  const tee = Object.keys(a)[0];
  if (tee === undefined || Object.keys(a).length !== 1 || canonicalJson(Object.keys(b)) !== canonicalJson([tee])) return 'TEE changed';
  const field = SECURITY_FIELDS[tee];
  const pa = a[tee] as Obj;
  const pb = b[tee] as Obj;
  const { [field ?? '']: va, ...restA } = pa;
  const { [field ?? '']: vb, ...restB } = pb;
  if (field === undefined || canonicalJson(restA) !== canonicalJson(restB)) return 'fields other than the minimum security version changed';
  const ca = components(tee, va);
  const cb = components(tee, vb);
  if (va !== undefined && vb === undefined) return `${field} was removed (lowered)`;
  let higher = false;
  for (let i = 0; i < ca.length; i++) {
    if (cb[i]! < ca[i]!) return `${field} was lowered`;
    if (cb[i]! > ca[i]!) higher = true;
  }
  return higher;
}

/** A security-version value as comparable components; absent = zeros. */
function components(tee: string, v: unknown): number[] {
  if (tee === 'sgx') return [typeof v === 'number' ? v : 0];
  if (tee === 'snp') return SNP_TCB.map((c) => ((v as Obj | undefined)?.[c] as number | undefined) ?? 0);
  const hex = typeof v === 'string' ? v : '00'.repeat(16);
  return [...Buffer.from(hex, 'hex')];
}

/** Approvals a change needs under the governance IN FORCE (never the proposal's own numbers). */
export function requiredApprovals(approvals: { manifestUpdate: number; packageUpdate: number }, change: ChangeKind): number {
  return change.kind === 'package-update' ? approvals.packageUpdate : approvals.manifestUpdate;
}
