import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attestCoordinator } from '../../../src/runtime/index.js';
import { selfSignedUserCertificate } from '../../../src/runtime/user_identity.js';
import { loadOrCreatePlatform, measurePath, type SimulatedPlatform } from '../../../src/tee/index.js';
import { startEtcdCluster, type EtcdCluster } from '../../support/etcd_cluster.js';
import { call, ok, pollUntil, testRandom } from './ha_client.js';
import { spawnReplica, type ReplicaProcess } from './replica_process.js';

/**
 * A replicated deployment for the HA tests: a real etcd cluster, N coordinator replicas as real
 * processes sharing one simulated platform (so they attest each other and the test's workloads),
 * the root CA learned by attesting the first replica, and users with self-signed certificates.
 * Replica 0 starts alone (it creates the data key); the others join by attested key exchange.
 */
export const USERS = ['auditor', 'alice', 'bob'] as const;
export type UserName = (typeof USERS)[number];

export interface User {
  readonly key: KeyObject;
  readonly cert: string;
  readonly keyPem: string;
}

export interface Deployment {
  readonly dir: string;
  readonly etcd: EtcdCluster;
  readonly platformDir: string;
  readonly platform: SimulatedPlatform;
  /** the simulated measurement of the test's workload program */
  readonly measurement: string;
  readonly replicas: ReplicaProcess[];
  /** the attested root CA (PEM) every replica must serve */
  readonly root: string;
  readonly users: Readonly<Record<UserName, User>>;
  /** spawns one more replica (named r<index>) on this deployment's etcd, or on `store` */
  addReplica(store?: string): Promise<ReplicaProcess>;
  close(): Promise<void>;
}

/** Log lines the HA tests look at (activations, one line each, are dropped). */
const KEEP = (msg: string) => /leader|snapshot|etcd|manifest|replica/.test(msg);

export function etcdUrl(endpoints: readonly string[]): string {
  return `etcd://${endpoints.join(',')}`;
}

export async function startDeployment(o: { replicas: number; etcdSize?: number; storeFor?: (i: number, etcd: EtcdCluster) => Promise<string | undefined> }): Promise<Deployment> {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-ha-'));
  const replicas: ReplicaProcess[] = [];
  let etcd: EtcdCluster | undefined;
  const close = async () => {
    await Promise.all(replicas.map((r) => r.kill()));
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    etcd = await startEtcdCluster({ size: o.etcdSize ?? 3 });
    const platformDir = join(dir, 'platform');
    const platform = await loadOrCreatePlatform(platformDir);
    await writeFile(join(dir, 'program.js'), 'console.log("ha")\n');
    const measurement = await measurePath(join(dir, 'program.js'));
    const cluster = etcd;
    const spawnAt = async (i: number, store?: string) => {
      const name = `r${i}`;
      const r = await spawnReplica({ name, store: store ?? (await o.storeFor?.(i, cluster)) ?? etcdUrl(cluster.endpoints), stateDir: join(dir, `state-${name}`), platformDir, keep: KEEP });
      replicas[i] = r;
      return r;
    };
    await spawnAt(0);
    // the others together: each replica measures its own code tree (src/), so the window in
    // which an edit of the checkout makes their measurements differ is as short as possible
    await Promise.all(Array.from({ length: o.replicas - 1 }, (_, i) => spawnAt(i + 1)));
    const addReplica = (store?: string) => spawnAt(replicas.length, store);
    const att = await attestCoordinator(replicas[0]!.url, { simulation: true, platformDir, now: new Date(), random: testRandom });
    const root = att.rootCaPem;
    for (const r of replicas) {
      const st = await ok(call(r.url, 'GET', '/api/v1/status', undefined, { ca: root }), `status of ${r.name}`);
      if (st.rootCaFingerprint !== att.rootCaFingerprint) throw new Error(`replica ${r.name} serves root ${String(st.rootCaFingerprint)}, want ${att.rootCaFingerprint}`);
    }
    const users = {} as Record<UserName, User>;
    for (const u of USERS) {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      users[u] = { key, cert: await selfSignedUserCertificate(key, { now: new Date(), random: testRandom }), keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
    }
    return { dir, etcd, platformDir, platform, measurement, replicas, root, users, addReplica, close };
  } catch (e) {
    await close();
    throw e;
  }
}

const pem = (k: KeyObject) => createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();

/**
 * The HA tests' manifest: workloads on the simulated package, an auditor (audit.read), and two
 * owners who may each propose and approve; one approval is the quorum, so two owners approving
 * two competing proposals at once is a real race between applies.
 */
export function haManifest(d: Pick<Deployment, 'measurement' | 'users'>, workloads: readonly string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    packages: { app: { simulated: { measurements: [d.measurement] } } },
    workloads: Object.fromEntries(workloads.map((w) => [w, { package: 'app' }])),
    secrets: { shared: { type: 'symmetric-key', size: 256 } },
    users: Object.fromEntries(USERS.map((u) => [u, { publicKey: pem(d.users[u].key) }])),
    roles: {
      auditors: { users: ['auditor'], permissions: [{ action: 'audit.read' }, { action: 'status.read' }] },
      owners: { users: ['alice', 'bob'], permissions: [{ action: 'manifest.update' }, { action: 'approve' }, { action: 'status.read' }] },
    },
    approvals: { manifestUpdate: 1 },
    ...extra,
  });
}

/** Sets the first manifest on replica 0 and waits until every replica serves it. */
export async function setManifest(d: Deployment, text: string): Promise<string> {
  const set = await ok(call(d.replicas[0]!.url, 'POST', '/api/v1/manifest', { manifest: text }, { ca: d.root }), 'manifest set');
  const hash = String(set.manifestHash);
  for (const r of d.replicas) {
    const seen = await pollUntil(async () => {
      const a = await call(r.url, 'GET', '/api/v1/status', undefined, { ca: d.root });
      return a.kind === 'answer' && a.json.manifestHash === hash ? true : undefined;
    }, 10_000);
    if (seen === undefined) throw new Error(`replica ${r.name} did not serve manifest ${hash} within 10 s`);
  }
  return hash;
}
