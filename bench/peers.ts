import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BenchCase } from './inputs.js';

/**
 * The peers on the same SGX/TDX inputs: @phala/dcap-qvl (pure JavaScript) and
 * @phala/dcap-qvl-web (Rust compiled to WebAssembly), both Phala-Network/dcap-qvl, given the
 * same collateral object (their QuoteCollateralV3 JSON is the bundle format) and `now`.
 */
const require = createRequire(import.meta.url);

interface PeerResult {
  readonly status: string;
}

export interface Peers {
  readonly js: (c: BenchCase) => () => void;
  readonly wasm: (c: BenchCase) => () => void;
}

export async function loadPeers(): Promise<Peers> {
  const qvl = require('@phala/dcap-qvl') as { verify(q: Uint8Array, c: unknown, now: number): PeerResult };
  const web = (await import('@phala/dcap-qvl-web')) as unknown as {
    initSync(o: { module: Uint8Array }): unknown;
    js_verify(q: Uint8Array, c: unknown, now: bigint): PeerResult;
  };
  web.initSync({ module: readFileSync(require.resolve('@phala/dcap-qvl-web/dcap-qvl-web_bg.wasm')) });
  const prepare = (c: BenchCase, call: (q: Uint8Array, coll: unknown, nowSeconds: number) => PeerResult) => {
    const quote = Buffer.from(c.evidence);
    const collateral = JSON.parse(c.collateral!) as unknown;
    const now = Math.floor(c.now.getTime() / 1000);
    const first = call(quote, collateral, now);
    if (first.status !== c.status) throw new Error(`peer on ${c.id}: status ${first.status}, want ${c.status}`);
    return () => {
      call(quote, collateral, now);
    };
  };
  return {
    js: (c) => prepare(c, (q, coll, now) => qvl.verify(q, coll, now)),
    wasm: (c) => prepare(c, (q, coll, now) => web.js_verify(q, coll, BigInt(now))),
  };
}
