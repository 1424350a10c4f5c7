import { randomBytes } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { createInstanceKey, type InstanceKey } from '../../../src/runtime/index.js';
import { simulatedProvider, type SimulatedPlatform } from '../../../src/tee/index.js';
import { activationReportData } from '../../../src/verify/index.js';

/**
 * The client side of the HA tests: JSON over HTTPS pinned to the coordinator's attested root
 * (optionally with a user's mTLS certificate), where every outcome is a value — an answer with
 * its status, or a transport failure (refused, reset, timeout) — because the tests count and
 * retry both instead of stopping at the first.
 */
export type Answer =
  | { readonly kind: 'answer'; readonly status: number; readonly json: Record<string, unknown> }
  | { readonly kind: 'transport'; readonly code: string };

export interface CallOptions {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  /** keep-alive agent (its own `ca`); default a fresh connection */
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

export function call(base: string, method: 'GET' | 'POST' | 'PUT', path: string, body: unknown, o: CallOptions): Promise<Answer> {
  const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = httpsRequest(
      new URL(path, base),
      {
        method,
        headers: bytes === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(bytes.length) },
        ca: o.ca,
        // the root is unique to this deployment and learned by attestation (src/runtime/https.ts)
        checkServerIdentity: () => undefined,
        ...(o.cert === undefined ? {} : { cert: o.cert, key: o.key }),
        agent: o.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'transport', code: e.code ?? e.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown>;
          try {
            json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            json = { unparsed: text.slice(0, 200) };
          }
          resolve({ kind: 'answer', status: res.statusCode ?? 0, json });
        });
      },
    );
    req.setTimeout(o.timeoutMs ?? 15_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'transport', code: e.code ?? e.message }));
    req.end(bytes);
  });
}

/** The answer's JSON when it is a 2xx; throws with what came back otherwise (setup steps). */
export async function ok(a: Promise<Answer>, what: string): Promise<Record<string, unknown>> {
  const r = await a;
  if (r.kind !== 'answer' || r.status < 200 || r.status > 299) throw new Error(`${what}: ${JSON.stringify(r)}`);
  return r.json;
}

/** `code` of a problem answer, the transport code, or '' for a success. */
export function codeOf(a: Answer): string {
  if (a.kind === 'transport') return a.code;
  return a.status >= 200 && a.status < 300 ? '' : String(a.json.code ?? `HTTP_${a.status}`);
}

/**
 * Activation bodies for simulated workloads: instance keys and CSRs from a pool (key generation
 * is the workload's cost, not the coordinator's; bench/coordinator.ts does the same), evidence
 * signed with the shared simulated platform over activationReportData(SPKI, nonce).
 */
export function activationBodies(platform: SimulatedPlatform, measurement: string, poolSize = 16) {
  const provider = simulatedProvider({ platform, measurement });
  let pool: InstanceKey[] | undefined;
  let next = 0;
  return async (workload: string, nonceHex: string, instanceId?: string): Promise<{ body: Record<string, unknown>; key: InstanceKey }> => {
    pool ??= await Promise.all(Array.from({ length: poolSize }, () => createInstanceKey(workload)));
    const key = pool[next++ % pool.length]!;
    const ev = await provider.getEvidence(activationReportData(key.spki, Buffer.from(nonceHex, 'hex')));
    return {
      key,
      body: {
        workload,
        ...(instanceId === undefined ? {} : { instanceId }),
        nonce: nonceHex,
        evidence: { tee: 'simulated', data: Buffer.from(ev.evidence).toString('base64') },
        csr: key.csrPem,
      },
    };
  };
}

export const testRandom = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined; undefined on timeout. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) return undefined;
    await sleep(everyMs);
  }
}
