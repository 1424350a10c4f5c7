import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, listCases, readVector, type VectorCase } from './vectors.js';

/** SEV-SNP helpers over the shared vectors and corpus (read in place). */
export function snpCases(): VectorCase[] {
  return listCases().filter((c) => c.tee === 'snp');
}

/** 'Milan-B0' -> 'Milan' (the case.json VEK product name). */
export function caseProduct(c: VectorCase): 'Milan' | 'Genoa' | 'Turin' {
  const name = (c['vek'] as { product_name_ext: string }).product_name_ext;
  return name.split('-')[0] as 'Milan' | 'Genoa' | 'Turin';
}

/** The case's certificate files (VEK + chain) as raw blobs. */
export function caseCertBlobs(c: VectorCase): Uint8Array[] {
  const chain = c.files['cert_chain']!.split(' ')[0]!;
  return [readVector(c.id, c.files['vek']!), readVector(c.id, chain)];
}

export interface SnpCorpusItem {
  readonly id: string;
  readonly dir: string;
  readonly report: Uint8Array | undefined;
  readonly hcl: Uint8Array | undefined;
  readonly certs: Uint8Array[];
}

/** Every corpus/snp folder: its report (and HCL report) and every .pem/.der beside it. */
export function snpCorpus(): SnpCorpusItem[] {
  const root = join(CORPUS_DIR, 'snp');
  if (!existsSync(root)) return [];
  return readdirSync(root).sort().map((name) => {
    const dir = join(root, name);
    const files = readdirSync(dir);
    const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));
    return {
      id: `snp/${name}`,
      dir,
      report: files.includes('report.bin') ? read('report.bin') : undefined,
      hcl: files.includes('hcl-report.bin') ? read('hcl-report.bin') : undefined,
      certs: files.filter((f) => f.endsWith('.pem') || f.endsWith('.der')).sort().map(read),
    };
  });
}
