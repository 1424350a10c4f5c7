import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { httpGet, parseRetryAfter } from '../../src/collateral/http.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { deadPort, recordingSleep, startFakeServer, type FakeServer } from './support/fake_server.js';

const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((s) => s.close())));
async function serve(routes: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const s = await startFakeServer(routes);
  servers.push(s);
  return s;
}

test('a server that never answers fails with COLLATERAL_TIMEOUT (no retry outlives the deadline)', async () => {
  const s = await serve({ '/x': 'hang' });
  const e = await assertRejectsCode(() => httpGet(new URL(`${s.url}/x`), { timeoutMs: 300, ...recordingSleep() }), 'COLLATERAL_TIMEOUT');
  assert.equal(e.detail?.url, `${s.url}/x`);
});

test('503 is retried with backoff, then the success is returned', async () => {
  const s = await serve({ '/x': (n) => (n === 1 ? { status: 503 } : { body: 'ok' }) });
  const r = recordingSleep();
  const res = await httpGet(new URL(`${s.url}/x`), { timeoutMs: 5000, ...r, jitter: () => 0 });
  assert.equal(Buffer.from(res.body).toString(), 'ok');
  assert.equal(s.requests.length, 2);
  assert.deepEqual(r.delays, [125]); // base 250 ms * 2^0 * (0.5 + 0/2)
});

test('exponential backoff with jitter; 5xx exhausted -> COLLATERAL_HTTP_STATUS', async () => {
  const s = await serve({ '/x': { status: 500 } });
  const r = recordingSleep();
  const e = await assertRejectsCode(() => httpGet(new URL(`${s.url}/x`), { timeoutMs: 60_000, retries: 3, ...r, jitter: () => 1 }), 'COLLATERAL_HTTP_STATUS');
  assert.equal(e.detail?.status, 500);
  assert.equal(s.requests.length, 4);
  assert.deepEqual(r.delays, [250, 500, 1000]);
});

test('404 is not retried (COLLATERAL_NOT_FOUND); other 4xx are not retried either', async () => {
  const s = await serve({ '/forbidden': { status: 403 } });
  const r = recordingSleep();
  await assertRejectsCode(() => httpGet(new URL(`${s.url}/missing`), { timeoutMs: 5000, ...r }), 'COLLATERAL_NOT_FOUND');
  await assertRejectsCode(() => httpGet(new URL(`${s.url}/forbidden`), { timeoutMs: 5000, ...r }), 'COLLATERAL_HTTP_STATUS');
  assert.deepEqual(s.requests, ['/missing', '/forbidden']);
  assert.deepEqual(r.delays, []);
});

test('Retry-After (seconds) on 429 replaces the computed delay', async () => {
  const s = await serve({ '/x': (n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '7' } } : { body: 'ok' }) });
  const r = recordingSleep();
  await httpGet(new URL(`${s.url}/x`), { timeoutMs: 60_000, ...r });
  assert.deepEqual(r.delays, [7000]);
});

test('a Retry-After longer than the remaining time budget fails now instead of sleeping', async () => {
  const s = await serve({ '/x': { status: 503, headers: { 'Retry-After': '3600' } } });
  const r = recordingSleep();
  const e = await assertRejectsCode(() => httpGet(new URL(`${s.url}/x`), { timeoutMs: 10_000, ...r }), 'COLLATERAL_HTTP_STATUS');
  assert.equal(e.detail?.status, 503);
  assert.deepEqual(r.delays, []);
});

test('Retry-After as an HTTP-date is measured against the injected clock', () => {
  const clock = { now: () => new Date('2025-01-01T00:00:00Z') };
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', clock), 30_000);
  assert.equal(parseRetryAfter('12', undefined), 12_000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', undefined), undefined);
  assert.equal(parseRetryAfter('soon', clock), undefined);
  assert.equal(parseRetryAfter(null, clock), undefined);
});

test('connection refused is retried, then COLLATERAL_FETCH_FAILED names the URL and reason', async () => {
  const port = await deadPort();
  const r = recordingSleep();
  const url = `http://127.0.0.1:${port}/tcb`;
  const e = await assertRejectsCode(() => httpGet(new URL(url), { timeoutMs: 60_000, retries: 2, ...r }), 'COLLATERAL_FETCH_FAILED');
  assert.equal(e.detail?.url, url);
  assert.equal(e.detail?.reason, 'ECONNREFUSED');
  assert.equal(r.delays.length, 2);
});

test("the caller's signal aborts with COLLATERAL_ABORTED", async () => {
  const s = await serve({ '/x': 'hang' });
  const ctl = new AbortController();
  const p = httpGet(new URL(`${s.url}/x`), { timeoutMs: 60_000, ...recordingSleep() }, ctl.signal);
  setTimeout(() => ctl.abort(), 20);
  await assertRejectsCode(() => p, 'COLLATERAL_ABORTED');
});

test('bodies over the size limit are refused', async () => {
  const s = await serve({ '/big': { body: 'x'.repeat(2048) } });
  await assertRejectsCode(() => httpGet(new URL(`${s.url}/big`), { timeoutMs: 5000, maxBodyBytes: 1024 }), 'COLLATERAL_RESPONSE_MALFORMED');
});
