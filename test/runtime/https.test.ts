import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { endpoint, parseCoordinatorUrl, request } from '../../src/runtime/index.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { problem, startFakeCoordinator, type FakeCoordinator } from './support/fake_coordinator.js';

let fake: FakeCoordinator;
before(async () => {
  fake = await startFakeCoordinator();
});
after(() => fake.close());
beforeEach(() => fake.routes.clear());

const url = (path: string) => endpoint(parseCoordinatorUrl(fake.url), path);

test('coordinator URLs must be https with a host and nothing secret in them', () => {
  for (const bad of ['http://127.0.0.1:4433', 'not a url', 'https://user:pw@host', 'https://host/?q=1', 'ftp://host']) {
    assertThrowsCode(() => parseCoordinatorUrl(bad), 'COORDINATOR_URL_INVALID', bad);
  }
  assert.equal(endpoint(parseCoordinatorUrl('https://h:1/base/'), '/api/v1/status?x=1').href, 'https://h:1/base/api/v1/status?x=1');
});

test('pinned requests verify the chain and skip the hostname; unpinned ones return the peer chain', async () => {
  const pinned = await request('GET', url('/api/v1/status'), undefined, { ca: fake.root.pem, timeoutMs: 5000 });
  assert.equal(pinned.status, 200);
  assert.equal(pinned.simulation, true);
  assert.equal(pinned.peerCertificates, undefined);
  const open = await request('GET', url('/api/v1/status'), undefined, { timeoutMs: 5000 });
  assert.equal(open.peerCertificates?.length, 1);
});

test('problems become COORDINATOR_REJECTED with the server code and details', async () => {
  fake.routes.set('GET /api/v1/status', async () => problem(429, 'RATE_LIMITED'));
  const e = await assertRejectsCode(() => request('GET', url('/api/v1/status'), undefined, { ca: fake.root.pem, timeoutMs: 5000 }), 'COORDINATOR_REJECTED');
  assert.equal(e.detail?.code, 'RATE_LIMITED');
  assert.equal(e.detail?.status, 429);
  assert.equal(e.detail?.simulation, true);
  fake.routes.set('GET /api/v1/status', async () => ({ status: 502, json: 'bad gateway', type: 'text/plain' }));
  const e2 = await assertRejectsCode(() => request('GET', url('/api/v1/status'), undefined, { ca: fake.root.pem, timeoutMs: 5000 }), 'COORDINATOR_REJECTED');
  assert.equal(e2.detail?.code, undefined);
});

test('non-JSON success and oversized answers are invalid responses', async () => {
  fake.routes.set('GET /api/v1/status', async () => ({ status: 200, json: 'plain', type: 'text/plain' }));
  await assertRejectsCode(() => request('GET', url('/api/v1/status'), undefined, { ca: fake.root.pem, timeoutMs: 5000 }), 'COORDINATOR_RESPONSE_INVALID');
  fake.routes.set('GET /api/v1/status', async () => ({ status: 200, json: { big: 'x'.repeat(4096) } }));
  await assertRejectsCode(() => request('GET', url('/api/v1/status'), undefined, { ca: fake.root.pem, timeoutMs: 5000, maxResponseBytes: 1024 }), 'COORDINATOR_RESPONSE_INVALID');
});

test('refused connections and silent servers are COORDINATOR_UNREACHABLE', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assertRejectsCode(() => request('GET', new URL(`https://127.0.0.1:${port}/healthz`), undefined, { timeoutMs: 5000 }), 'COORDINATOR_UNREACHABLE');

  const silent = createServer(() => undefined); // accepts TCP, never speaks TLS
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const e = await assertRejectsCode(
      () => request('GET', new URL(`https://127.0.0.1:${(silent.address() as AddressInfo).port}/healthz`), undefined, { timeoutMs: 200 }),
      'COORDINATOR_UNREACHABLE',
    );
    assert.equal(e.detail?.errno, 'ETIMEDOUT');
  } finally {
    silent.close();
  }
});
