import { isBrokenCircuitError } from 'cockatiel';
import {
  ClientClosedError,
  GRPCAbortedError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  GRPCUnknownError,
} from 'etcd3';
import { StoreError } from './errors.js';

/**
 * What a failed etcd call tells us about whether etcd acted on it. Commits are not idempotent,
 * so only failures that prove the request never reached a member (or was refused before
 * etcd proposed it) may be retried; anything else leaves a commit's outcome unknown. The
 * same split as etcd's own Go client (etcd client/v3/retry.go: `isSafeRetryMutableRPC`
 * retries mutations only on "there is no address available").
 *
 * - `not-sent`: no connection to any member (refused, TLS failure, member not serving yet).
 * - `not-applied`: a member answered that it will not process it now (no leader, too many requests).
 * - `lost`: sent, then no answer (timeout, dropped connection, leader change, server stopped).
 * - `rejected`: etcd answered with an error that retrying does not fix.
 * - `closed`: the client was closed under the call.
 */
export type EtcdFailure = 'not-sent' | 'not-applied' | 'lost' | 'rejected' | 'closed';

const PRE_SEND_PHASES = ['waiting for name resolution', 'waiting for metadata filters', 'Waiting for LB pick'];

export function classifyEtcdError(e: unknown): EtcdFailure {
  if (e instanceof ClientClosedError) return 'closed';
  // etcd3's per-member circuit breaker refused to call a member that kept failing.
  if (isBrokenCircuitError(e)) return 'not-sent';
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof GRPCUnavailableError) {
    // grpc-js 1.14 load-balancer-pick-first.js / picker.js: the call never got a connection.
    if (msg.includes('No connection established')) return 'not-sent';
    // etcd api/v3rpc/rpctypes: returned before the request is proposed to raft.
    if (msg.includes('etcdserver: no leader') || msg.includes('etcdserver: not capable')) return 'not-applied';
    return 'lost';
  }
  if (e instanceof GRPCDeadlineExceededError) {
    // grpc-js 1.14 resolving-call.js / load-balancing-call.js name the phase the call was in
    // when its deadline passed; these three come before anything is written to a connection.
    // Any other wording is treated as sent.
    return PRE_SEND_PHASES.some((p) => msg.includes(p)) ? 'not-sent' : 'lost';
  }
  if (e instanceof GRPCResourceExhastedError) return msg.includes('etcdserver: too many requests') ? 'not-applied' : 'rejected';
  if (e instanceof GRPCCancelledError || e instanceof GRPCInternalError || e instanceof GRPCUnknownError || e instanceof GRPCAbortedError) return 'lost';
  // Other gRPC statuses and etcd errors (permission denied, invalid argument, compacted,
  // request too large, auth) are answers. An error from outside etcd3/grpc is not an
  // answer from etcd, so a commit that hit one is treated as possibly applied.
  if (e instanceof Error && /^(GRPC\w+|Etcd\w+)Error$/.test(e.constructor.name)) return 'rejected';
  return 'lost';
}

export interface EtcdCallContext {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `call` until it succeeds, fails in a way that retrying cannot fix, or the operation's
 * timeout (one deadline for all attempts) runs out; then throws a StoreError:
 * STORE_ETCD_UNAVAILABLE (never served: safe to retry later), STORE_ETCD_TIMEOUT (a read got
 * no answer), STORE_ETCD_COMMIT_UNKNOWN (a commit got no answer), STORE_ETCD_REJECTED,
 * STORE_CLOSED. Reads are retried after `lost` too (they are idempotent); commits are not.
 */
export async function callEtcd<T>(
  ctx: EtcdCallContext,
  op: { readonly name: string; readonly mutation: boolean },
  call: (o: { deadline: Date }) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + ctx.timeoutMs;
  let attempts = 0;
  let served = false; // some attempt reached a member that held it past connecting
  for (;;) {
    attempts++;
    let failure: EtcdFailure;
    let error: unknown;
    try {
      return await call({ deadline: new Date(deadline) });
    } catch (e) {
      error = e;
      failure = classifyEtcdError(e);
    }
    const detail = { op: op.name, endpoints: ctx.endpoints, timeoutMs: ctx.timeoutMs, attempts, lastError: describe(error) };
    if (failure === 'closed') throw new StoreError('STORE_CLOSED', `etcd ${op.name}: the etcd client was closed`, { cause: error, detail });
    if (failure === 'rejected') throw new StoreError('STORE_ETCD_REJECTED', `etcd ${op.name}: etcd refused the request: ${describe(error)}`, { cause: error, detail });
    if (failure === 'lost') {
      if (op.mutation) {
        throw new StoreError('STORE_ETCD_COMMIT_UNKNOWN', `etcd ${op.name}: sent to etcd but no answer came back (${describe(error)}); it may have been applied`, { cause: error, detail });
      }
      served = true;
    }
    // Short backoff: a killed member fails fast, and the client picks another one next time.
    // No attempt starts at or past the deadline (it could only fail, and say less).
    const pause = 20 * 2 ** Math.min(attempts, 4);
    if (deadline - Date.now() > pause) {
      await sleep(pause);
      continue;
    }
    if (served) throw new StoreError('STORE_ETCD_TIMEOUT', `etcd ${op.name}: no answer within ${ctx.timeoutMs} ms after ${attempts} attempts (last error: ${describe(error)})`, { cause: error, detail });
    throw new StoreError('STORE_ETCD_UNAVAILABLE', `etcd ${op.name}: no member of ${ctx.endpoints.join(',')} served it within ${ctx.timeoutMs} ms (last error: ${describe(error)})`, { cause: error, detail });
  }
}
