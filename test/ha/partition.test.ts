import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { verifyAuditLog, type AuditRecord } from '../../src/audit/index.js';
import { SKIP_NO_ETCD } from '../support/etcd_cluster.js';
import { etcdUrl, haManifest, setManifest, startDeployment, type Deployment } from './support/deployment.js';
import { activationBodies, call, codeOf, ok, pollUntil, type Answer } from './support/ha_client.js';
import { startTcpProxy, type TcpProxy } from './support/tcp_proxy.js';

/**
 * A replica cut off from etcd (issue #8): replica r1 reaches etcd only through TCP proxies
 * (test/ha/support/tcp_proxy.ts), r0 directly. Cut the proxies: r1's /healthz says 503
 * STORE_UNREACHABLE within a few seconds, activations on r1 fail with 503 and leave no trace,
 * r0 keeps serving. Heal: r1 serves again, and both replicas agree on one audit log that
 * holds exactly the activations clients saw succeed (no divergence).
 */
const UNHEALTHY_WITHIN_MS = 8000;
const HEALTHY_WITHIN_MS = 20_000;

let d: Deployment | undefined;
const proxies: TcpProxy[] = [];
before(async () => {
  if (SKIP_NO_ETCD !== false) return;
  d = await startDeployment({
    replicas: 2,
    etcdSize: 1,
    storeFor: async (i, etcd) => {
      if (i !== 1) return undefined;
      for (const e of etcd.endpoints) {
        const [host, port] = e.split(':') as [string, string];
        proxies.push(await startTcpProxy({ host, port: Number(port) }));
      }
      return etcdUrl(proxies.map((p) => p.endpoint));
    },
  });
  await setManifest(d, haManifest(d, ['api']));
});
after(async () => {
  await d?.close();
  for (const p of proxies) await p.close();
});

describe('a replica partitioned from etcd', { skip: SKIP_NO_ETCD, timeout: 120_000 }, () => {
  test('cut: 503 STORE_UNREACHABLE on /healthz, activations refused with 503, the other replica serves; heal: it serves again', async (t) => {
    const dep = d!;
    const [r0, r1] = dep.replicas as [typeof dep.replicas[0], typeof dep.replicas[1]];
    const bodies = activationBodies(dep.platform, dep.measurement);
    const tls = { ca: dep.root, timeoutMs: 20_000 };
    const seen = new Set<string>();
    const activateOn = async (url: string): Promise<Answer> => {
      const n = await ok(call(url, 'POST', '/api/v1/nonce', {}, tls), 'nonce');
      const { body } = await bodies('api', String(n.nonce));
      const a = await call(url, 'POST', '/api/v1/activate', body, tls);
      if (a.kind === 'answer' && a.status === 200) seen.add(String(a.json.instanceId));
      return a;
    };
    const health = async (url: string) => call(url, 'GET', '/healthz', undefined, tls);

    // before: both replicas healthy and serving, r1 through the proxy
    for (const r of dep.replicas) assert.equal(codeOf(await health(r.url)), '', `${r.name} healthy before the cut`);
    assert.equal(codeOf(await activateOn(r1.url)), '');
    assert.ok(proxies.every((p) => p.open > 0), 'r1 talks to etcd through the proxies');

    // cut
    const cutAt = Date.now();
    for (const p of proxies) p.cut();
    const down = await pollUntil(async () => {
      const h = await health(r1.url);
      return h.kind === 'answer' && h.status === 503 ? h : undefined;
    }, UNHEALTHY_WITHIN_MS + 2000, 100);
    assert.ok(down !== undefined && down.kind === 'answer', 'r1 reports unhealthy');
    t.diagnostic(`r1 /healthz 503 ${String(down.json.code)} ${Date.now() - cutAt} ms after the cut`);
    assert.equal(down.json.code, 'STORE_UNREACHABLE');
    assert.ok(Date.now() - cutAt <= UNHEALTHY_WITHIN_MS, `unhealthy after ${Date.now() - cutAt} ms, want <= ${UNHEALTHY_WITHIN_MS}`);
    // one attempt: each waits out the store timeout (5 s) before the replica fails closed
    const refused = await activateOn(r1.url);
    assert.ok(refused.kind === 'answer' && refused.status === 503, `activation on the cut replica: got ${JSON.stringify(refused)}, want 503`);
    assert.match(codeOf(refused), /^STORE_/);
    // the other replica is unaffected meanwhile
    assert.equal(codeOf(await health(r0.url)), '');
    for (let i = 0; i < 3; i++) assert.equal(codeOf(await activateOn(r0.url)), '', 'r0 keeps activating');

    // heal
    const healAt = Date.now();
    for (const p of proxies) p.heal();
    const up = await pollUntil(async () => (codeOf(await health(r1.url)) === '' ? true : undefined), HEALTHY_WITHIN_MS, 100);
    assert.equal(up, true, `r1 healthy again within ${HEALTHY_WITHIN_MS} ms of the heal`);
    t.diagnostic(`r1 /healthz 200 ${Date.now() - healAt} ms after the heal`);
    assert.equal(codeOf(await activateOn(r1.url)), '', 'r1 activates again');
    // r1 sees what r0 did while it was cut off (its snapshot and reads are etcd's, not a stale copy)
    assert.equal(codeOf(await activateOn(r1.url)), '');

    // one log, on both replicas, with exactly the activations clients saw succeed
    const auditor = dep.users.auditor;
    const logs: Array<{ entries: AuditRecord[]; head: { seq: number; hash: string } }> = [];
    for (const r of dep.replicas) {
      logs.push((await ok(call(r.url, 'GET', '/api/v1/audit?from=1&limit=10000', undefined, { ...tls, cert: auditor.cert, key: auditor.keyPem }), `audit of ${r.name}`)) as unknown as (typeof logs)[number]);
    }
    assert.deepEqual(logs[1]!.head, logs[0]!.head);
    verifyAuditLog(logs[0]!.entries, { publicKey: new X509Certificate(dep.root).publicKey, expectedHead: logs[0]!.head });
    const activated = logs[0]!.entries.filter((e) => e.kind === 'workload.activated').map((e) => String((e.detail as { instanceId?: unknown }).instanceId));
    assert.deepEqual(new Set(activated), seen);
    assert.equal(activated.length, seen.size, 'no activation refused during the cut was recorded');
  });
});
