import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

/**
 * Enforces DESIGN.md's layering: imports point downwards only, another layer is reached only
 * through an index.ts (or its error/code tables), evidence/ does no crypto or I/O, and
 * verify/ does no I/O.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const RANK: Record<string, number> = {
  common: 0,
  evidence: 1,
  verify: 2,
  collateral: 3, tee: 3, store: 3, ca: 3, manifest: 3, policy: 3, protect: 3, audit: 3, recovery: 3, governance: 3,
  coordinator: 4, runtime: 4,
  cli: 5, web: 5, k8s: 5,
};
const TOP_LEVEL = 9;
const NODE_ALLOWED: Record<string, RegExp> = {
  common: /^node:(crypto|buffer)$/,
  evidence: /^node:buffer$/,
  verify: /^node:(crypto|buffer)$/,
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? '' : rel[0]!;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push((m[1] ?? m[2])!);
  return out;
}

test('source imports respect the layering of DESIGN.md', () => {
  const problems: string[] = [];
  for (const file of walk(SRC)) {
    const layer = layerOf(file);
    const rank = layer === '' ? TOP_LEVEL : RANK[layer];
    if (rank === undefined) {
      problems.push(`${relative(SRC, file)}: unknown layer '${layer}' (add it to RANK in this test and to DESIGN.md's layers)`);
      continue;
    }
    for (const spec of imports(file)) {
      if (spec.startsWith('node:')) {
        const allowed = NODE_ALLOWED[layer];
        if (allowed !== undefined && !allowed.test(spec)) problems.push(`${relative(SRC, file)}: ${layer}/ may not import ${spec}`);
        continue;
      }
      if (!spec.startsWith('.')) continue; // packages
      const target = resolve(dirname(file), spec);
      const tLayer = layerOf(target);
      if (tLayer === layer) continue;
      const tRank = tLayer === '' ? TOP_LEVEL : (RANK[tLayer] ?? 99);
      if (tRank > rank) problems.push(`${relative(SRC, file)}: upward import of ${relative(SRC, target)}`);
      const base = basename(target);
      // common/ is a toolkit of leaf modules (errors, bytes, DER, PEM, clock): importable file by file
      if (tLayer !== 'common' && !['index.js', 'codes.js', 'errors.js', 'types.js'].includes(base)) {
        problems.push(`${relative(SRC, file)}: deep import of ${relative(SRC, target)} (import the layer's index.ts)`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
