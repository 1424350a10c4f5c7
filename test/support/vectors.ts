import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Shared test data lives beside the repository (../shared/vectors, ../shared/corpus) and is
 * read in place, never copied. CLOISTER_SHARED overrides the location. When it is absent,
 * tests that need it skip with a message saying so.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DIR = process.env.CLOISTER_SHARED ?? join(repoRoot, '..', 'shared');
export const VECTORS_DIR = join(SHARED_DIR, 'vectors');
export const CORPUS_DIR = join(SHARED_DIR, 'corpus');
export const HAVE_VECTORS = existsSync(join(VECTORS_DIR, 'index.json'));
export const HAVE_CORPUS = existsSync(CORPUS_DIR);
/** Pass as the `skip` option of a test: false when present, else the reason. */
export const SKIP_NO_VECTORS: string | false = HAVE_VECTORS ? false : `shared vectors not found at ${VECTORS_DIR}`;
export const SKIP_NO_CORPUS: string | false = HAVE_CORPUS ? false : `shared corpus not found at ${CORPUS_DIR}`;

export function vectorPath(caseId: string, file: string): string {
  return join(VECTORS_DIR, caseId, file);
}
export function readVector(caseId: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(vectorPath(caseId, file)));
}
export function readVectorText(caseId: string, file: string): string {
  return readFileSync(vectorPath(caseId, file), 'utf8');
}

export interface VectorCase {
  readonly id: string;
  readonly tee: 'sgx' | 'tdx' | 'snp';
  readonly kind: 'full' | 'parse-only' | 'chain-only';
  readonly files: Record<string, string>;
  readonly verify_at: string | null;
  readonly validity_window?: { not_before: string; not_after: string };
  readonly expect: Record<string, unknown>;
  readonly decoded?: Record<string, unknown>;
  readonly mutations?: ReadonlyArray<{ target: string; offset: number; op: 'set' | 'xor' | 'add'; value: number; expect_error: string }>;
  readonly [k: string]: unknown;
}

/** Every case.json under vectors/, with its id (folder path relative to vectors/). */
export function listCases(): VectorCase[] {
  if (!HAVE_VECTORS) return [];
  const out: VectorCase[] = [];
  for (const tee of ['sgx', 'tdx', 'snp']) {
    const dir = join(VECTORS_DIR, tee);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name, 'case.json');
      if (existsSync(p)) out.push(JSON.parse(readFileSync(p, 'utf8')) as VectorCase);
    }
  }
  return out;
}

/** Every folder of the corpus as {id, dir}. */
export function listCorpus(): Array<{ id: string; tee: string; dir: string }> {
  if (!HAVE_CORPUS) return [];
  const out: Array<{ id: string; tee: string; dir: string }> = [];
  for (const tee of readdirSync(CORPUS_DIR)) {
    const dir = join(CORPUS_DIR, tee);
    if (!existsSync(dir) || tee.endsWith('.md')) continue;
    for (const name of readdirSync(dir).sort()) out.push({ id: `${tee}/${name}`, tee, dir: join(dir, name) });
  }
  return out;
}

/** Applies one case.json mutation to a copy of the bytes. */
export function mutate(bytes: Uint8Array, m: { offset: number; op: 'set' | 'xor' | 'add'; value: number }): Uint8Array {
  const out = bytes.slice();
  const old = out[m.offset]!;
  out[m.offset] = m.op === 'set' ? m.value : m.op === 'xor' ? old ^ m.value : (old + m.value) & 0xff;
  return out;
}

/** A copy with byte i flipped (xor 0x01 changes the value while staying plausible). */
export function flip(bytes: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[i] = out[i]! ^ mask;
  return out;
}
