import { isMap, isSeq, parseDocument } from 'yaml';
import { parseManifest } from '../manifest/index.js';
import { K8sError } from './errors.js';
import type { InitdataDigest } from './initdata.js';
import { packageTee } from './pod_mutation.js';

/**
 * `cloister k8s initdata --write-manifest`: puts a pod's initdata digest into the reference
 * values of its workload's package (`snp.hostData` for SEV-SNP, `tdx.mrConfigId` for TDX).
 * The value is added to the list and the others are kept (a rollout has old and new pods).
 * The document is edited in place, not re-serialised from the parsed manifest: defaults the
 * parser fills in are not written out, and YAML comments and key order survive. The output
 * is parsed again and must contain the value, so a written manifest is always a valid one.
 */
export interface ManifestReferenceEdit {
  readonly text: string;
  readonly package: string;
  readonly tee: 'snp' | 'tdx';
  readonly field: 'hostData' | 'mrConfigId';
  readonly value: string;
  /** false when the value was already there (the text is then unchanged) */
  readonly added: boolean;
}

export function addInitdataReference(text: string, workload: string, d: InitdataDigest): ManifestReferenceEdit {
  const manifest = parseManifest(text);
  const w = Object.hasOwn(manifest.workloads, workload) ? manifest.workloads[workload] : undefined;
  if (w === undefined) throw new K8sError('K8S_WORKLOAD_UNKNOWN', `the manifest has no workload '${workload}' (the pod's cloister.dev/workload label)`, { detail: { workload } });
  const tee = packageTee(manifest.packages[w.package]!);
  if (tee !== 'snp' && tee !== 'tdx') throw new K8sError('K8S_CONFIG_INVALID', `workload '${workload}' uses package '${w.package}' (${tee}), not a confidential VM: initdata does not apply`);
  const field = tee === 'snp' ? 'hostData' : 'mrConfigId';
  const value = tee === 'snp' ? d.snpHostData : d.tdxMrConfigId;
  const existing = (manifest.packages[w.package]![tee] as { hostData?: readonly string[]; mrConfigId?: readonly string[] })[field] ?? [];
  const base = { package: w.package, tee, field, value } as const;
  if (existing.some((v) => v.toLowerCase() === value)) return { ...base, text, added: false };

  const path = ['packages', w.package, tee, field];
  let out: string;
  if (/^\s*[{[]/.test(text)) {
    const obj = JSON.parse(text) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    const teeObj = obj.packages![w.package]![tee]!;
    teeObj[field] = [...((teeObj[field] as string[] | undefined) ?? []), value];
    out = `${JSON.stringify(obj, null, 2)}\n`;
  } else {
    const doc = parseDocument(text);
    const list = doc.getIn(path, true);
    if (isSeq(list)) list.add(doc.createNode(value));
    else if (list === undefined && isMap(doc.getIn(path.slice(0, -1), true))) doc.setIn(path, doc.createNode([value]));
    else throw new K8sError('K8S_CONFIG_INVALID', `manifest: ${path.join('.')} is not a list`);
    out = doc.toString();
  }
  const check = parseManifest(out);
  const now = (check.packages[w.package]![tee] as { hostData?: readonly string[]; mrConfigId?: readonly string[] })[field] ?? [];
  if (!now.includes(value)) throw new K8sError('K8S_CONFIG_INVALID', `manifest: ${path.join('.')} does not hold ${value} after the edit`);
  return { ...base, text: out, added: true };
}
