import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attestCoordinator, createInstanceKey } from '../src/runtime/index.js';
import { loadOrCreatePlatform, measurePath, simulatedProvider } from '../src/tee/index.js';
import { activationReportData } from '../src/verify/index.js';
import { SKIP_NO_ETCD, startEtcdCluster, type EtcdCluster } from '../test/support/etcd_cluster.js';
import { spawnReplica, type ReplicaProcess } from '../test/ha/support/replica_process.js';
import { closedLoop, createClient, percentile, type Client, type LoadResult } from './coordinator_load.js';

/**
 * `npm run bench:ha` (also the last part of `npm run bench`): activations per second of three
 * coordinator replicas on a 3-member etcd, next to ONE coordinator on the sealed file store,
 * under the same client load in the same run. Every coordinator is a real
 * `cloister coordinator start --simulation` process (test/ha/support/replica_process.ts).
 *
 * One activation = POST /api/v1/nonce, simulated evidence signed here over
 * activationReportData(SPKI, nonce) (the TEE's part), POST /api/v1/activate; keep-alive HTTPS;
 * the replicas are used round-robin. The setups alternate in rounds so load drift on a
 * shared machine hits all. The replicas run twice: with every activation of ONE workload (as
 * for the single coordinator), and with workloads pinned to replicas (each replica activates
 * only its own two), because activations of one workload on different replicas conflict on
 * its instance counter in etcd and retry: the difference is what that contention costs, the
 * rest is etcd and the one audit chain every replica appends to. On a small machine the replicas, the etcd members and the load
 * generator share the cores, so the ratio says what replication costs there, not what three
 * machines would give. BENCH_QUICK=1 shortens the rounds.
 */
const quick = process.env.BENCH_QUICK === '1';
const CLIENTS = Number(process.env.BENCH_HA_CLIENTS ?? 16);
const plan = quick ? { warmup: 60, roundMs: 2000, rounds: 1 } : { warmup: 150, roundMs: 4000, rounds: 2 };
/** workloads per replica in the pinned variant */
const PER_REPLICA = 2;

interface Setup {
  readonly name: string;
  readonly clients: Client[];
  /** the workload activation i is of */
  readonly workloadOf: (i: number) => string;
}

function merge(rs: readonly LoadResult[]): LoadResult {
  const lat = rs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const first = rs.find((r) => r.firstFailure !== undefined)?.firstFailure;
  return { ok: rs.reduce((s, r) => s + r.ok, 0), failed: rs.reduce((s, r) => s + r.failed, 0), seconds: rs.reduce((s, r) => s + r.seconds, 0), latenciesMs: lat, ...(first === undefined ? {} : { firstFailure: first }) };
}

export async function haBench(): Promise<{ lines: string[]; misses: string[] }> {
  if (SKIP_NO_ETCD !== false) return { lines: [`coordinator HA: skipped (${SKIP_NO_ETCD})`], misses: [] };
  const dir = await mkdtemp(join(tmpdir(), 'cloister-bench-ha-'));
  const procs: ReplicaProcess[] = [];
  const clients: Client[] = [];
  let etcd: EtcdCluster | undefined;
  try {
    etcd = await startEtcdCluster({ size: 3 });
    const platformDir = join(dir, 'platform');
    const platform = await loadOrCreatePlatform(platformDir);
    await writeFile(join(dir, 'program.js'), 'console.log("bench-ha")\n');
    const measurement = await measurePath(join(dir, 'program.js'));
    // same log level for both setups; warn keeps stdout quiet (one line per activation at info)
    const start = (name: string, store: string) => spawnReplica({ name, store, stateDir: join(dir, name), platformDir, logLevel: 'warn', keep: () => false });
    const store = `etcd://${etcd.endpoints.join(',')}`;
    procs.push(await start('r0', store));
    procs.push(...(await Promise.all([start('r1', store), start('r2', store)])));
    procs.push(await start('single', 'file'));

    const manifest = JSON.stringify({ packages: { app: { simulated: { measurements: [measurement] } } }, workloads: Object.fromEntries(Array.from({ length: 3 * PER_REPLICA }, (_, i) => [`w${i}`, { package: 'app' }])), secrets: { k: { type: 'symmetric-key', size: 256 } } });
    const connect = async (p: ReplicaProcess, ca?: string) => {
      const root = ca ?? (await attestCoordinator(p.url, { simulation: true, platformDir, now: new Date(), random: { bytes: (n) => new Uint8Array(Buffer.alloc(n, 7)) } })).rootCaPem;
      const c = createClient(p.url, root, CLIENTS);
      clients.push(c);
      return { c, root };
    };
    const r0 = await connect(procs[0]!);
    const replicas = [r0.c, (await connect(procs[1]!, r0.root)).c, (await connect(procs[2]!, r0.root)).c];
    const ha: Setup = { name: 'ha', clients: replicas, workloadOf: () => 'w0' };
    // activation i goes to replica i % 3 (op below): its workloads are w<r>, w<r+3>
    const spread: Setup = { name: 'spread', clients: replicas, workloadOf: (i) => `w${(i % 3) + 3 * (Math.floor(i / 3) % PER_REPLICA)}` };
    const single: Setup = { name: 'single', clients: [(await connect(procs[3]!)).c], workloadOf: () => 'w0' };
    for (const s of [ha, single]) {
      const r = await s.clients[0]!.post('/api/v1/manifest', JSON.stringify({ manifest }));
      if (r.status !== 200) throw new Error(`${s.name}: manifest set: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    }
    // the other replicas reload the manifest through their watch
    await new Promise((r) => setTimeout(r, 1000));

    const keys = await Promise.all(Array.from({ length: 32 }, () => createInstanceKey('w0')));
    const provider = simulatedProvider({ platform, measurement });
    const op = (s: Setup) => async (i: number): Promise<string | undefined> => {
      const c = s.clients[i % s.clients.length]!;
      const n = await c.post('/api/v1/nonce', '{}');
      if (n.status !== 200) return `nonce HTTP ${n.status} ${(n.json as { code?: string }).code ?? ''}`;
      const nonce = (n.json as { nonce: string }).nonce;
      const key = keys[i % keys.length]!;
      const ev = await provider.getEvidence(activationReportData(key.spki, Buffer.from(nonce, 'hex')));
      const body = JSON.stringify({ workload: s.workloadOf(i), nonce, evidence: { tee: 'simulated', data: Buffer.from(ev.evidence).toString('base64') }, csr: key.csrPem });
      const a = await c.post('/api/v1/activate', body);
      return a.status === 200 ? undefined : `activate HTTP ${a.status} ${(a.json as { code?: string }).code ?? ''}`;
    };
    for (const s of [ha, single]) await closedLoop({ concurrency: CLIENTS, total: plan.warmup, op: op(s) });
    const results: Record<string, LoadResult[]> = { ha: [], spread: [], single: [] };
    for (let round = 0; round < plan.rounds; round++) {
      for (const s of [single, ha, spread]) results[s.name]!.push(await closedLoop({ concurrency: CLIENTS, durationMs: plan.roundMs, op: op(s) }));
    }
    const h = merge(results.ha!);
    const sp = merge(results.spread!);
    const f = merge(results.single!);
    const rate = (r: LoadResult) => r.ok / r.seconds;
    const lat = (r: LoadResult) => `p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms`;
    const fails = (r: LoadResult) => (r.failed === 0 ? '' : `, ${r.failed} FAILED (first: ${r.firstFailure})`);
    const lines = [
      `coordinator HA (simulation, ${CLIENTS} concurrent clients, nonce + evidence signing + activate, ${plan.rounds} x ${plan.roundMs / 1000} s per setup, alternating)${quick ? ' (BENCH_QUICK)' : ''}`,
      `  single coordinator, sealed file store: ${rate(f).toFixed(0)} activations/s (${f.ok}), ${lat(f)}${fails(f)}`,
      `  3 replicas on a 3-member etcd (round-robin), one workload: ${rate(h).toFixed(0)} activations/s (${h.ok}), ${lat(h)}${fails(h)}`,
      `  3 replicas on a 3-member etcd (round-robin), workloads pinned to replicas: ${rate(sp).toFixed(0)} activations/s (${sp.ok}), ${lat(sp)}${fails(sp)}`,
      `  ratio HA / single: ${(rate(h) / rate(f)).toFixed(2)}x one workload, ${(rate(sp) / rate(f)).toFixed(2)}x pinned workloads (same machine: replicas, etcd members and the load generator share its cores)`,
    ];
    const misses = [h, sp, f].flatMap((r, i) => (r.failed > 0 ? [`${['HA one workload', 'HA pinned workloads', 'single'][i]}: ${r.failed} activations failed`] : []));
    return { lines, misses };
  } finally {
    for (const c of clients) c.close();
    await Promise.all(procs.map((p) => p.stop()));
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = Date.now();
  const r = await haBench();
  for (const l of r.lines) console.log(l);
  console.log(r.misses.length === 0 ? `\nHA bench done in ${((Date.now() - t0) / 1000).toFixed(0)} s` : `\nHA bench: ${r.misses.join('; ')}`);
}
