import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real 3-member etcd cluster on 127.0.0.1 for tests: free ports, temporary data directories,
 * SIGKILL and restart of single members, and cleanup on stop() and on process exit (also when
 * a test fails). Members are started as `etcd --logger=zap` (Debian's etcd-server 3.4 needs it
 * for the structured logger; the default capnslog one is deprecated) at `--log-level=error`.
 *
 * Tests that use it pass `{ skip: SKIP_NO_ETCD }`: a string saying why when no etcd binary is
 * installed, `false` otherwise. `ETCD_BIN` overrides the binary found on PATH.
 */

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export const ETCD_BIN: string | undefined = process.env['ETCD_BIN'] ?? findOnPath('etcd');
export const SKIP_NO_ETCD: string | false =
  ETCD_BIN === undefined ? 'etcd is not installed (apt-get install etcd-server, or `npm run etcd:dev` as root): etcd store tests skipped' : false;

// Ask the kernel to SIGKILL each member when this process dies, even by SIGKILL (util-linux
// setpriv --pdeathsig, i.e. prctl PR_SET_PDEATHSIG): no etcd outlives a crashed test run.
const SETPRIV = findOnPath('setpriv');

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** True while the member's process runs. */
  readonly running: boolean;
}

export interface EtcdCluster {
  /** Client endpoints as `127.0.0.1:PORT`, one per member, in member order. */
  readonly endpoints: readonly string[];
  readonly members: readonly EtcdMember[];
  /** SIGKILLs member `i` and waits until its process is gone. */
  kill(i: number): Promise<void>;
  /** Starts member `i` again on its data directory and waits until it reports healthy. */
  restart(i: number, o?: { waitHealthy?: boolean }): Promise<void>;
  /** Index of the member that is raft leader now, as the running members report it; undefined if none. */
  leader(): Promise<number | undefined>;
  /** Waits until every running member reports healthy (a leader and quorum). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every member and removes the data directories; safe to call twice. */
  stop(): Promise<void>;
}

interface MemberState {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  proc: ChildProcess | undefined;
  log: string;
}

const live = new Set<{ members: MemberState[]; root: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are.
  process.on('exit', () => {
    for (const c of live) {
      for (const m of c.members) if (m.proc?.exitCode === null && m.proc.signalCode === null) m.proc.kill('SIGKILL');
      rmSync(c.root, { recursive: true, force: true });
    }
  });
}

/** A port that was free a moment ago (the kernel's pick for port 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface MemberStatus {
  readonly memberId: string;
  readonly leaderId: string;
}

// etcd's JSON gateway for Maintenance.Status (etcd 3.4: POST /v3/maintenance/status); ids are decimal strings.
async function status(m: MemberState): Promise<MemberStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${m.clientPort}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
    return body.header?.member_id === undefined || body.leader === undefined ? undefined : { memberId: body.header.member_id, leaderId: body.leader };
  } catch {
    return undefined;
  }
}

async function healthy(m: MemberState): Promise<boolean> {
  try {
    // etcd's /health answers {"health":"true"} only when the member has a leader and quorum.
    const res = await fetch(`http://127.0.0.1:${m.clientPort}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

function spawnMember(m: MemberState, initialCluster: string, token: string): void {
  const args = [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${m.clientPort}`,
    `--advertise-client-urls=http://127.0.0.1:${m.clientPort}`,
    `--listen-peer-urls=http://127.0.0.1:${m.peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${m.peerPort}`,
    `--initial-cluster=${initialCluster}`,
    // Ignored by etcd once the data directory holds a member (restart keeps the same flags).
    '--initial-cluster-state=new',
    `--initial-cluster-token=${token}`,
    '--logger=zap',
    '--log-level=error',
  ];
  const [cmd, argv] = SETPRIV === undefined ? [ETCD_BIN!, args] : [SETPRIV, ['--pdeathsig', 'KILL', '--', ETCD_BIN!, ...args]];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  m.log = '';
  proc.stderr?.setEncoding('utf8');
  // Keep the tail only: enough to explain a failed start.
  proc.stderr?.on('data', (s: string) => {
    m.log = (m.log + s).slice(-8192);
  });
  proc.on('error', (e) => {
    m.log += `\nspawn failed: ${e.message}`;
  });
  m.proc = proc;
}

function running(m: MemberState): boolean {
  return m.proc !== undefined && m.proc.exitCode === null && m.proc.signalCode === null;
}

async function killMember(m: MemberState): Promise<void> {
  const proc = m.proc;
  if (proc === undefined || !running(m)) return;
  const gone = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGKILL');
  await gone;
}

export async function startEtcdCluster(o: { size?: number; startTimeoutMs?: number } = {}): Promise<EtcdCluster> {
  if (ETCD_BIN === undefined) throw new Error(String(SKIP_NO_ETCD));
  const size = o.size ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'cloister-etcd-'));
  const members: MemberState[] = [];
  for (let i = 0; i < size; i++) {
    members.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(root, `m${i}`), proc: undefined, log: '' });
  }
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  const token = `cloister-test-${randomBytes(6).toString('hex')}`;
  const entry = { members, root };
  installExitHook();
  live.add(entry);

  const waitHealthy = async (timeoutMs = o.startTimeoutMs ?? 30_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const up = members.filter(running);
      const ok = await Promise.all(up.map(healthy));
      if (up.length > 0 && ok.every(Boolean)) return;
      if (Date.now() > until) {
        const logs = members.map((m) => `--- ${m.name} (${running(m) ? 'running' : `exited ${m.proc?.exitCode ?? m.proc?.signalCode}`})\n${m.log}`).join('\n');
        throw new Error(`etcd cluster not healthy after ${timeoutMs} ms\n${logs}`);
      }
      await sleep(100);
    }
  };
  const stop = async (): Promise<void> => {
    await Promise.all(members.map(killMember));
    rmSync(root, { recursive: true, force: true });
    live.delete(entry);
  };

  for (const m of members) spawnMember(m, initialCluster, token);
  try {
    await waitHealthy();
  } catch (e) {
    await stop();
    throw e;
  }

  const member = (i: number): MemberState => {
    const m = members[i];
    if (m === undefined) throw new Error(`no etcd member ${i} (cluster of ${members.length})`);
    return m;
  };
  return {
    endpoints: members.map((m) => `127.0.0.1:${m.clientPort}`),
    members: members.map((m) => ({
      name: m.name,
      clientUrl: `http://127.0.0.1:${m.clientPort}`,
      peerUrl: `http://127.0.0.1:${m.peerPort}`,
      dataDir: m.dataDir,
      get running() {
        return running(m);
      },
    })),
    kill: (i) => killMember(member(i)),
    async leader() {
      const all = await Promise.all(members.map((m) => (running(m) ? status(m) : undefined)));
      const leaderId = all.find((st) => st !== undefined && st.leaderId !== '0')?.leaderId;
      const i = all.findIndex((st) => st?.memberId === leaderId);
      return i < 0 || !running(members[i]!) ? undefined : i;
    },
    async restart(i, ro = {}) {
      const m = member(i);
      await killMember(m);
      spawnMember(m, initialCluster, token);
      if (ro.waitHealthy ?? true) await waitHealthy();
    },
    waitHealthy,
    stop,
  };
}
