import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Random } from '../../src/common/clock.js';

/** Deterministic Random for tests: SHA-256 counter stream from a seed. */
export function seededRandom(seed: string): Random {
  let counter = 0;
  return {
    bytes(n) {
      const out = new Uint8Array(n);
      for (let at = 0; at < n; at += 32) out.set(createHash('sha256').update(`${seed}/${counter++}`).digest().subarray(0, Math.min(32, n - at)), at);
      return out;
    },
  };
}

export async function tempDir(t: { after(fn: () => Promise<void>): void }, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `cloister-${label}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
