import type { CommitOps, Store } from '../../src/store/index.js';

/** The versions crash_child.ts writes and crash.test.ts checks (shared so both agree). */
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function valueOf(v: number, name: string): string {
  return `${v}:${name}:${'x'.repeat((v * 37) % 700)}`;
}

export function versionOps(v: number, versionRevision: bigint): CommitOps {
  const put = [{ key: 'meta/version', value: enc(String(v)) }, ...['a', 'b', 'c'].map((n) => ({ key: `data/${n}`, value: enc(valueOf(v, n)) }))];
  const even = v % 2 === 0;
  if (even) put.push({ key: 'data/even', value: enc(valueOf(v, 'even')) });
  return { compare: [{ key: 'meta/version', revision: versionRevision }], put, delete: even || v === 1 ? [] : ['data/even'] };
}

export async function readVersion(store: Store): Promise<{ version: number; revision: bigint }> {
  const e = await store.get('meta/version');
  return e === undefined ? { version: 0, revision: 0n } : { version: Number(dec(e.value)), revision: e.revision };
}

/** Reads the whole store and returns its version, or a description of what is inconsistent. */
export async function checkComplete(store: Store): Promise<{ version: number } | { broken: string }> {
  const entries = await store.list('');
  const { version } = await readVersion(store);
  if (version === 0) return entries.length === 0 ? { version } : { broken: `no version but ${entries.length} entries` };
  const want = new Map<string, string>([['meta/version', String(version)], ...['a', 'b', 'c'].map((n): [string, string] => [`data/${n}`, valueOf(version, n)])]);
  if (version % 2 === 0) want.set('data/even', valueOf(version, 'even'));
  const got = new Map(entries.map((e) => [e.key, dec(e.value)]));
  for (const [k, v] of want) if (got.get(k) !== v) return { broken: `version ${version}: ${k} is ${JSON.stringify(got.get(k)?.slice(0, 20))}` };
  for (const k of got.keys()) if (!want.has(k)) return { broken: `version ${version}: unexpected key ${k}` };
  return { version };
}
