import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renewalDelayMs, startRenewal } from '../../../src/runtime/launch/index.js';

const clock = { now: () => new Date() };
const at = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms);

describe('certificate renewal schedule', () => {
  test('renews at 2/3 of the lifetime, counted from when the certificate was obtained', () => {
    assert.equal(renewalDelayMs(at(0), at(3_600_000), at(0)), 2_400_000);
    assert.equal(renewalDelayMs(at(0), at(3_600_000), at(2_000_000)), 400_000);
    assert.equal(renewalDelayMs(at(0), at(3_600_000), at(3_000_000)), 0, 'overdue: at once');
    assert.equal(renewalDelayMs(at(0), at(900), at(0), 0.5), 450);
  });

  test('a failed renewal is logged as one line and retried; success moves to the next certificate', async () => {
    const lines: string[] = [];
    let calls = 0;
    const now = Date.now();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const h = startRenewal({
      obtainedAt: new Date(now),
      expiresAt: new Date(now + 150),
      clock,
      log: (l) => lines.push(l),
      minRetryMs: 20,
      renew: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('coordinator down'), { code: 'COORDINATOR_UNREACHABLE' });
        if (calls === 3) resolveDone();
        return { expiresAt: new Date(Date.now() + 150) };
      },
    });
    await done;
    await h.stop();
    assert.ok(h.count() >= 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^error LAUNCH_RENEWAL_FAILED: certificate renewal failed \(COORDINATOR_UNREACHABLE: coordinator down\)/);
    const after = calls;
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(calls, after, 'nothing runs after stop()');
  });
});
