import { Lease, type Campaign, type Namespace } from 'etcd3';
import type { EtcdCallContext } from './etcd_call.js';
import { StoreError } from './errors.js';
import { checkKey } from './store.js';

/**
 * Leader election over an etcd lease (etcd3's Election, the recipe of etcd
 * client/v3/concurrency/election.go): each candidate writes a key bound to its own lease under
 * `<prefix>election/<name>/`; the oldest key (lowest create revision) leads; the others wait for
 * the keys before theirs to go away. A crashed leader's key disappears when its lease expires
 * (`ttl` seconds without keepalive), and the next candidate takes over.
 *
 * Why `isLeader()` is a clock check and not a flag: etcd3 reports a lost lease only after two
 * TTLs without keepalive, but etcd may expire it after one, and another replica can then lead.
 * We count the lease as held only until (send time of the last answered keepalive + the TTL it
 * granted), which is never later than etcd's own expiry, and end the leadership at that moment.
 */
export interface Leadership {
  readonly name: string;
  readonly candidate: string;
  /** True while the lease is certainly still alive at etcd; check it before once-only work. */
  isLeader(): boolean;
  /** Resolves (never rejects) once leadership ends for any reason other than resign(). */
  readonly lost: Promise<StoreError>;
  /** Gives up leadership (revokes the lease, so the next candidate takes over at once). */
  resign(): Promise<void>;
}

export interface LeaderElection {
  readonly name: string;
  /** Campaigns as `candidate` (e.g. a replica id) and resolves once elected; waits while another leads. */
  campaign(candidate: string): Promise<Leadership>;
  /** The current leader's candidate value, or undefined when nobody leads. */
  leader(): Promise<string | undefined>;
}

const MAX_TTL_SECONDS = 3600;

export function createLeaderElection(
  root: Namespace,
  name: string,
  ttlSeconds: number,
  ctx: EtcdCallContext,
  track: (abandon: () => Promise<void>) => () => void,
): LeaderElection {
  checkKey(name);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new StoreError('STORE_ETCD_CONFIG_INVALID', `leader election ${JSON.stringify(name)}: ttl got ${String(ttlSeconds)}, want whole seconds in 1..${MAX_TTL_SECONDS}`);
  }
  const election = root.election(name, ttlSeconds);
  return {
    name,
    async leader() {
      return withTimeout(election.leader(), ctx, `leader of election ${JSON.stringify(name)}`);
    },
    campaign(candidate) {
      return campaignFor(election.campaign(candidate), { name, candidate, ttlSeconds }, ctx, track);
    },
  };
}

async function withTimeout<T>(p: Promise<T>, ctx: EtcdCallContext, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreError('STORE_ETCD_UNAVAILABLE', `${what}: no answer from ${ctx.endpoints.join(',')} within ${ctx.timeoutMs} ms`)), ctx.timeoutMs);
      }),
    ]);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('STORE_ETCD_REJECTED', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

interface CampaignInfo {
  readonly name: string;
  readonly candidate: string;
  readonly ttlSeconds: number;
}

/** `track(abandon)` registers the campaign with its store (close() abandons it) and returns the unregister function. */
function campaignFor(c: Campaign, info: CampaignInfo, ctx: EtcdCallContext, track: (abandon: () => Promise<void>) => () => void): Promise<Leadership> {
  const { name, candidate } = info;
  // etcd3 1.1.2 keeps the campaign's lease private; we need its keepalive events (see above).
  const lease = (c as unknown as { lease?: unknown }).lease;
  if (!(lease instanceof Lease)) {
    void c.resign().catch(() => undefined);
    return Promise.reject(new StoreError('STORE_ETCD_LEADERSHIP_LOST', `election ${JSON.stringify(name)}: etcd3 Campaign has no lease to track (client version changed?)`));
  }
  const what = `election ${JSON.stringify(name)} candidate ${JSON.stringify(candidate)}`;
  // Before the grant is even sent, so never later than etcd's first expiry.
  let validUntil = Date.now() + 1000 * info.ttlSeconds;
  const pendingFires: number[] = [];
  lease.on('keepaliveEstablished', () => pendingFires.splice(0));
  lease.on('keepaliveFired', () => pendingFires.push(Date.now()));
  lease.on('keepaliveSucceeded', (res) => {
    const sentAt = pendingFires.shift();
    if (sentAt !== undefined && Number(res.TTL) > 0) validUntil = Math.max(validUntil, sentAt + 1000 * Number(res.TTL));
    armExpiry();
  });

  let ended = false; // resigned or lost: later 'elected' events are ignored (etcd3 may emit one after resign)
  let elected = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveLost!: (e: StoreError) => void;
  const lost = new Promise<StoreError>((r) => (resolveLost = r));
  let untrack = (): void => undefined;
  let rejectPending: (e: StoreError) => void = () => undefined;
  const resign = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    untrack();
    await withTimeout(c.resign(), ctx, `resign ${what}`);
  };
  const end = (why: string, cause?: unknown): StoreError => {
    const err = new StoreError('STORE_ETCD_LEADERSHIP_LOST', `${what}: ${why}`, cause === undefined ? undefined : { cause });
    if (!ended) {
      ended = true;
      clearTimeout(timer);
      untrack();
      void c.resign().catch(() => undefined);
      resolveLost(err);
    }
    return err;
  };
  function armExpiry(): void {
    if (!elected || ended) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (Date.now() >= validUntil) end('lease not renewed in time (etcd may have expired it)');
      else armExpiry();
    }, Math.max(0, validUntil - Date.now()));
    timer.unref();
  }
  untrack = track(async () => {
    // The store is closing: a pending campaign rejects, a held leadership is resigned.
    if (!elected) rejectPending(new StoreError('STORE_CLOSED', `${what}: the store was closed while campaigning`));
    await resign();
  });

  return new Promise<Leadership>((resolve, reject) => {
    rejectPending = reject;
    c.on('error', (e) => {
      const err = end(`campaign failed or lease lost: ${e.message}`, e);
      if (!elected) reject(err);
    });
    c.on('elected', () => {
      if (ended) return;
      elected = true;
      armExpiry();
      resolve({ name, candidate, lost, resign, isLeader: () => !ended && Date.now() < validUntil });
    });
  });
}
