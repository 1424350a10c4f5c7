import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BrokenCircuitError } from 'cockatiel';
import {
  ClientClosedError,
  EtcdPermissionDeniedError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
} from 'etcd3';
import { callEtcd, classifyEtcdError, type EtcdFailure } from '../../src/store/etcd_call.js';
import { assertRejectsCode } from '../support/assert_code.js';

/**
 * Which failures may be retried. The error texts are those grpc-js 1.14 and etcd 3.4 produce
 * (seen against a real cluster: refused connections, a member without quorum, a killed member).
 */
const CASES: Array<[string, unknown, EtcdFailure]> = [
  ['connection refused', new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.'), 'not-sent'],
  ['deadline while waiting for a connection', new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 1.002s,name resolution: 0.001s,Waiting for LB pick'), 'not-sent'],
  ['deadline before name resolution', new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.001s,waiting for name resolution'), 'not-sent'],
  ['open circuit breaker', new BrokenCircuitError(), 'not-sent'],
  ['etcd: no leader', new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: no leader'), 'not-applied'],
  ['etcd: too many requests', new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: etcdserver: too many requests'), 'not-applied'],
  ['deadline after sending', new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 2.000s,metadata filters: 0.001s,remote_addr=127.0.0.1:43093'), 'lost'],
  ['etcd: leader changed', new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: leader changed'), 'lost'],
  ['connection dropped', new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped'), 'lost'],
  ['cancelled', new GRPCCancelledError('1 CANCELLED: Call cancelled'), 'lost'],
  ['not an etcd error', new TypeError('boom'), 'lost'],
  ['permission denied', new EtcdPermissionDeniedError('etcdserver: permission denied'), 'rejected'],
  ['too many txn ops', new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: too many operations in txn request'), 'rejected'],
  ['compacted', new GRPCOutOfRangeError('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted'), 'rejected'],
  ['message too large', new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: Received message larger than max'), 'rejected'],
  ['client closed', new ClientClosedError('KV'), 'closed'],
];

describe('etcd error classification', () => {
  for (const [name, e, want] of CASES) {
    test(name, () => assert.equal(classifyEtcdError(e), want));
  }
});

const ctx = { endpoints: ['127.0.0.1:1'], timeoutMs: 300 };
const failing = (errors: unknown[], result = 'ok') => {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    call: async (): Promise<string> => {
      const e = errors[calls++];
      if (e !== undefined) throw e;
      return result;
    },
  };
};
const refused = () => new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: ECONNREFUSED');
const dropped = () => new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped');

describe('etcd call retries', () => {
  test('a commit is retried after failures that prove it was not sent', async () => {
    const f = failing([refused(), new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: no leader')]);
    assert.equal(await callEtcd(ctx, { name: 'commit', mutation: true }, f.call), 'ok');
    assert.equal(f.calls, 3);
  });

  test('a commit whose answer was lost is not retried: STORE_ETCD_COMMIT_UNKNOWN', async () => {
    const f = failing([dropped()]);
    await assertRejectsCode(() => callEtcd(ctx, { name: 'commit', mutation: true }, f.call), 'STORE_ETCD_COMMIT_UNKNOWN');
    assert.equal(f.calls, 1);
  });

  test('a read whose answer was lost is retried', async () => {
    const f = failing([dropped(), dropped()]);
    assert.equal(await callEtcd(ctx, { name: 'get', mutation: false }, f.call), 'ok');
    assert.equal(f.calls, 3);
  });

  test('never served within the timeout: STORE_ETCD_UNAVAILABLE', async () => {
    const f = failing(Array.from({ length: 10_000 }, refused));
    const err = await assertRejectsCode(() => callEtcd(ctx, { name: 'commit', mutation: true }, f.call), 'STORE_ETCD_UNAVAILABLE');
    assert.ok(f.calls > 1);
    assert.equal(err.detail?.['attempts'], f.calls);
  });

  test('a read that keeps losing its answer: STORE_ETCD_TIMEOUT', async () => {
    const f = failing(Array.from({ length: 10_000 }, dropped));
    await assertRejectsCode(() => callEtcd(ctx, { name: 'get', mutation: false }, f.call), 'STORE_ETCD_TIMEOUT');
  });

  test('an error answer is not retried: STORE_ETCD_REJECTED; a closed client: STORE_CLOSED', async () => {
    const f = failing([new EtcdPermissionDeniedError('etcdserver: permission denied')]);
    await assertRejectsCode(() => callEtcd(ctx, { name: 'get', mutation: false }, f.call), 'STORE_ETCD_REJECTED');
    assert.equal(f.calls, 1);
    await assertRejectsCode(() => callEtcd(ctx, { name: 'get', mutation: false }, failing([new ClientClosedError('KV')]).call), 'STORE_CLOSED');
  });
});
