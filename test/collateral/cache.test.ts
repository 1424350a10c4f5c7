import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cacheKey, withCache } from '../../src/collateral/cache.js';
import { CollateralError } from '../../src/collateral/errors.js';
import type { CollateralItem, CollateralProvider, CollateralRequest } from '../../src/collateral/types.js';
import { assertRejectsCode } from '../support/assert_code.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cloister-cache-'));
  dirs.push(d);
  return d;
}

/** A provider that counts calls; `fail` makes it behave as if offline. */
function countingProvider(validUntil: Date | undefined): CollateralProvider & { calls: number; fail: boolean; gate?: Promise<void> } {
  const p = {
    calls: 0,
    fail: false,
    gate: undefined as Promise<void> | undefined,
    async get(req: CollateralRequest): Promise<CollateralItem> {
      p.calls++;
      if (p.gate !== undefined) await p.gate;
      if (p.fail) throw new CollateralError('COLLATERAL_FETCH_FAILED', 'cannot fetch http://127.0.0.1:9/x: ECONNREFUSED', { detail: { url: 'http://127.0.0.1:9/x' } });
      return {
        kind: req.kind,
        bytes: new Uint8Array([1, 2, 3, p.calls]),
        text: `{"n":${p.calls}}`,
        signature: 'ab'.repeat(64),
        issuerChainPem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n',
        source: 'http://pcs.test/tcb',
        ...(validUntil === undefined ? {} : { validUntil }),
      };
    },
  };
  return p;
}

const req: CollateralRequest = { kind: 'tcbInfo', tee: 'tdx', fmspc: '50806F000000' };
const T0 = new Date('2025-01-01T00:00:00Z');
const VALID_UNTIL = new Date('2025-01-31T00:00:00Z');
function clockAt(d: Date) {
  const c = { t: d, now: () => c.t };
  return c;
}

test('serves from disk while valid, without touching the network (a fresh process sees it too)', async () => {
  const dir = tempDir();
  const clock = clockAt(T0);
  const first = countingProvider(VALID_UNTIL);
  const item = await withCache(first, { dir, clock }).get(req);
  assert.equal(first.calls, 1);
  const offline = countingProvider(VALID_UNTIL);
  offline.fail = true;
  clock.t = new Date('2025-01-30T23:59:59Z');
  const again = await withCache(offline, { dir, clock }).get({ ...req, fmspc: '50806f000000' });
  assert.equal(offline.calls, 0);
  assert.deepEqual(again.bytes, item.bytes);
  assert.equal(again.text, item.text);
  assert.equal(again.signature, item.signature);
  assert.equal(again.issuerChainPem, item.issuerChainPem);
  assert.equal(again.validUntil?.toISOString(), VALID_UNTIL.toISOString());
  assert.equal(again.source, 'cache:http://pcs.test/tcb');
  assert.equal(again.stale, undefined);
});

test('refetches once validUntil has passed', async () => {
  const dir = tempDir();
  const clock = clockAt(T0);
  const p = countingProvider(VALID_UNTIL);
  const cached = withCache(p, { dir, clock });
  await cached.get(req);
  clock.t = VALID_UNTIL; // now == validUntil: expired (served only while now < validUntil)
  const fresh = await cached.get(req);
  assert.equal(p.calls, 2);
  assert.equal(fresh.text, '{"n":2}');
});

test('fails closed: an expired entry is not served when refetching fails', async () => {
  const dir = tempDir();
  const clock = clockAt(T0);
  const p = countingProvider(VALID_UNTIL);
  await withCache(p, { dir, clock }).get(req);
  p.fail = true;
  clock.t = new Date('2025-02-01T00:00:00Z');
  await assertRejectsCode(() => withCache(p, { dir, clock }).get(req), 'COLLATERAL_FETCH_FAILED');
});

test('serveStale: true serves the expired entry, marked stale, when refetching fails', async () => {
  const dir = tempDir();
  const clock = clockAt(T0);
  const p = countingProvider(VALID_UNTIL);
  await withCache(p, { dir, clock }).get(req);
  p.fail = true;
  clock.t = new Date('2025-02-01T00:00:00Z');
  const item = await withCache(p, { dir, clock, serveStale: true }).get(req);
  assert.equal(item.stale, true);
  assert.equal(item.text, '{"n":1}');
});

test('items without validity live for maxAgeMs', async () => {
  const dir = tempDir();
  const clock = clockAt(T0);
  const p = countingProvider(undefined);
  const cached = withCache(p, { dir, clock, maxAgeMs: 60_000 });
  await cached.get(req);
  clock.t = new Date(T0.getTime() + 59_999);
  await cached.get(req);
  assert.equal(p.calls, 1);
  clock.t = new Date(T0.getTime() + 60_000);
  await cached.get(req);
  assert.equal(p.calls, 2);
});

test('concurrent identical requests are merged into one fetch; different ones are not', async () => {
  const dir = tempDir();
  const p = countingProvider(VALID_UNTIL);
  let open!: () => void;
  p.gate = new Promise<void>((r) => (open = r));
  const cached = withCache(p, { dir, clock: clockAt(T0) });
  const all = [cached.get(req), cached.get(req), cached.get({ ...req, fmspc: '50806f000000' }), cached.get({ kind: 'qeIdentity', tee: 'tdx' })];
  open();
  const items = await Promise.all(all);
  assert.equal(p.calls, 2);
  assert.equal(items[0], items[1]);
  assert.equal(items[1], items[2]);
});

test("one caller's abort ends only its own wait", async () => {
  const dir = tempDir();
  const p = countingProvider(VALID_UNTIL);
  let open!: () => void;
  p.gate = new Promise<void>((r) => (open = r));
  const cached = withCache(p, { dir, clock: clockAt(T0) });
  const ctl = new AbortController();
  const a = cached.get(req, ctl.signal);
  const b = cached.get(req);
  ctl.abort();
  await assertRejectsCode(() => a, 'COLLATERAL_ABORTED');
  open();
  assert.equal((await b).text, '{"n":1}');
});

test('writes are atomic (no temp files left) and a corrupt entry is a miss', async () => {
  const dir = tempDir();
  const p = countingProvider(VALID_UNTIL);
  await withCache(p, { dir, clock: clockAt(T0) }).get(req);
  const files = readdirSync(dir);
  assert.deepEqual(files, [`tcbInfo-${cacheKey(req).slice(0, 32)}.json`]);
  writeFileSync(join(dir, files[0]!), '{"format":"cloister-collateral-cache/v1", trunc');
  await withCache(p, { dir, clock: clockAt(T0) }).get(req);
  assert.equal(p.calls, 2);
  assert.deepEqual(readdirSync(dir), files);
});

test('an unwritable cache directory is COLLATERAL_CACHE_IO', async () => {
  const dir = tempDir();
  const blocker = join(dir, 'file');
  writeFileSync(blocker, 'x');
  await assertRejectsCode(() => withCache(countingProvider(VALID_UNTIL), { dir: join(blocker, 'sub'), clock: clockAt(T0) }).get(req), 'COLLATERAL_CACHE_IO');
});

test('cache keys are canonical (key order, FMSPC case) and distinct per request', () => {
  assert.equal(cacheKey({ kind: 'tcbInfo', tee: 'sgx', fmspc: 'AABBCCDDEEFF' }), cacheKey({ fmspc: 'aabbccddeeff', tee: 'sgx', kind: 'tcbInfo' } as CollateralRequest));
  assert.notEqual(cacheKey({ kind: 'tcbInfo', tee: 'sgx', fmspc: 'aabbccddeeff' }), cacheKey({ kind: 'tcbInfo', tee: 'tdx', fmspc: 'aabbccddeeff' }));
  assert.notEqual(cacheKey({ kind: 'pckCrl', ca: 'processor' }), cacheKey({ kind: 'pckCrl', ca: 'platform' }));
});
