import { canonicalJson } from '../common/jcs.js';
import { rollIntermediate, snapshotCa, type Ca } from '../ca/index.js';
import {
  GovernanceError,
  authorize,
  checkProposalCurrent,
  classifyChange,
  proposalHash as hashProposal,
  requireAuthorized,
  tally,
  verifyApproval,
  type Approval,
  type ChangeKind,
  type Principal,
} from '../governance/index.js';
import { manifestHash, parseManifest, type Manifest } from '../manifest/index.js';
import { CoordinatorError } from './codes.js';
import type { ActiveManifest } from './activation.js';
import { snapshotOf, type CoordinatorCore } from './core.js';
import { actorOf } from './principal.js';
import { recoveryKeysPrefix, recoveryShareOps, RECOVERY_PREFIX } from './recovery_shares.js';
import { generateSecrets } from './secrets.js';
import { KEY, encodeJson, readJson, type HistoryRecord, type ManifestRecord, type StoredSecret } from './state.js';

/**
 * Manifest updates with approval (docs/governance.md "Manifest updates"): propose -> approve ->
 * apply at quorum. Every step is one audited store commit conditioned on what it read, so
 * concurrent approvals and competing proposals never both land: the manifest record's revision
 * is compared when an update applies, and the proposal's when an approval is added.
 */
export interface ProposalRecord {
  readonly proposalHash: string;
  readonly manifestHash: string;
  readonly previousManifestHash: string;
  /** the proposed document exactly as submitted */
  readonly text: string;
  readonly change: ChangeKind;
  readonly proposedBy: string;
  readonly proposedAt: string;
  readonly approvals: readonly Approval[];
  readonly status: 'open' | 'applied';
}

export interface ProposalView {
  readonly proposalHash: string;
  readonly manifestHash: string;
  readonly previousManifestHash: string;
  readonly change: ChangeKind['kind'];
  readonly proposedBy: string;
  readonly proposedAt: string;
  readonly approvedBy: readonly string[];
  readonly needed: number;
  readonly status: 'open' | 'applied' | 'stale';
}

const MAX_ATTEMPTS = 8;
// the intermediate a roll creates lives as long as the first one (coordinator.ts)
const INTERMEDIATE_LIFETIME_MS = 365 * 24 * 3600_000;

function needActive(core: CoordinatorCore): ActiveManifest {
  const m = core.current();
  if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet (cloister manifest set FILE)');
  return m;
}

function view(core: CoordinatorCore, r: ProposalRecord): ProposalView {
  const m = core.current();
  const stale = r.status === 'open' && m?.hash !== r.previousManifestHash;
  let approvedBy: readonly string[] = [];
  let needed = 0;
  if (m !== undefined && r.change.kind !== 'none') {
    const t = tally(m.governance, { hash: r.proposalHash, change: r.change }, r.approvals, { now: core.clock.now() });
    approvedBy = t.approvedBy;
    needed = t.needed;
  }
  return {
    proposalHash: r.proposalHash,
    manifestHash: r.manifestHash,
    previousManifestHash: r.previousManifestHash,
    change: r.change.kind,
    proposedBy: r.proposedBy,
    proposedAt: r.proposedAt,
    approvedBy: r.status === 'applied' ? r.approvals.map((a) => a.user).sort() : approvedBy,
    needed,
    status: stale ? 'stale' : r.status,
  };
}

/** Who may propose: manifest.update for anything; package.update on every raised package for a pure raise. */
function authorizePropose(m: ActiveManifest, who: Principal, change: ChangeKind): void {
  if (change.kind === 'package-update') {
    try {
      requireAuthorized(m.governance, who, 'manifest.update');
      return;
    } catch (e) {
      if (!(e instanceof GovernanceError)) throw e;
    }
    for (const p of change.packages) requireAuthorized(m.governance, who, 'package.update', p);
    return;
  }
  requireAuthorized(m.governance, who, 'manifest.update');
}

export async function propose(core: CoordinatorCore, who: Principal, text: string): Promise<ProposalView & { created: boolean }> {
  const m = needActive(core);
  const next = parseManifest(text);
  const nextHash = manifestHash(next);
  checkProposalCurrent({ previousManifestHash: m.hash, manifestHash: nextHash }, m.hash);
  const change = classifyChange(m.manifest, next);
  authorizePropose(m, who, change);
  const hash = hashProposal({ previousManifestHash: m.hash, manifestHash: nextHash });
  const existing = await readJson<ProposalRecord>(core.store, KEY.proposal(hash));
  if (existing !== undefined) return { ...view(core, existing.value), created: false };
  const record: ProposalRecord = {
    proposalHash: hash,
    manifestHash: nextHash,
    previousManifestHash: m.hash,
    text,
    change,
    proposedBy: actorOf(who),
    proposedAt: core.clock.now().toISOString(),
    approvals: [],
    status: 'open',
  };
  const res = await core.audit.commit({
    ops: { compare: [{ key: KEY.proposal(hash), revision: 0n }], put: [{ key: KEY.proposal(hash), value: encodeJson(record) }], delete: [] },
    entry: {
      time: core.clock.now(),
      kind: 'manifest.proposed',
      actor: actorOf(who),
      detail: { proposalHash: hash, manifestHash: nextHash, previousManifestHash: m.hash, change: change.kind },
    },
  });
  if (!res.ok) {
    // the same proposal was stored concurrently: answer it
    const now = await readJson<ProposalRecord>(core.store, KEY.proposal(hash));
    if (now !== undefined) return { ...view(core, now.value), created: false };
    throw new CoordinatorError('STATE_CONCURRENT_UPDATE', 'the proposal changed while it was stored; retry');
  }
  core.log.info({ proposalHash: hash, manifestHash: nextHash, change: change.kind, by: actorOf(who) }, 'manifest update proposed');
  return { ...view(core, record), created: true };
}

/**
 * Who may read proposals and history: status.read, and everyone who takes part in updates
 * (proposers and approvers must see what they sign).
 */
function requireProposalReader(m: ActiveManifest, who: Principal): void {
  const participates =
    authorize(m.governance, who, 'manifest.update').allow ||
    authorize(m.governance, who, 'approve', 'manifest').allow ||
    authorize(m.governance, who, 'approve', 'package').allow;
  if (!participates) requireAuthorized(m.governance, who, 'status.read');
}

export async function listProposals(core: CoordinatorCore, who: Principal): Promise<ProposalView[]> {
  requireProposalReader(needActive(core), who);
  const out: ProposalView[] = [];
  for (const e of await core.store.list(KEY.proposals)) {
    out.push(view(core, JSON.parse(new TextDecoder().decode(e.value)) as ProposalRecord));
  }
  return out.sort((a, b) => (a.proposedAt < b.proposedAt ? -1 : a.proposedAt > b.proposedAt ? 1 : 0));
}

export async function getProposal(core: CoordinatorCore, who: Principal, hash: string): Promise<ProposalView & { manifest: string }> {
  requireProposalReader(needActive(core), who);
  const r = await readJson<ProposalRecord>(core.store, KEY.proposal(hash));
  if (r === undefined) throw new CoordinatorError('PROPOSAL_UNKNOWN', `no proposal ${hash}`);
  return { ...view(core, r.value), manifest: r.value.text };
}

/**
 * Adds the authenticated user's approval (a signature over the proposal hash). When the quorum
 * of the manifest IN FORCE is reached, the update applies in the same request.
 */
export async function approve(core: CoordinatorCore, who: Principal, hash: string, signature: string): Promise<ProposalView & { applied: boolean; currentManifestHash: string }> {
  for (let attempt = 1; ; attempt++) {
    const m = needActive(core);
    const r = await readJson<ProposalRecord>(core.store, KEY.proposal(hash));
    if (r === undefined) throw new CoordinatorError('PROPOSAL_UNKNOWN', `no proposal ${hash}`);
    const rec = r.value;
    if (rec.status !== 'open') throw new CoordinatorError('PROPOSAL_NOT_OPEN', `proposal ${hash} was already applied`);
    // the manifest in force as STORED (another replica may have applied an update this replica's
    // snapshot has not seen yet); the approval commit compares its revision
    const inForce = await readJson<ManifestRecord>(core.store, KEY.manifest);
    const currentHash = inForce?.value.hash ?? m.hash;
    if (rec.previousManifestHash !== currentHash) {
      throw new CoordinatorError('PROPOSAL_NOT_OPEN', `proposal ${hash} is stale: it replaces manifest ${rec.previousManifestHash}, the current one is ${currentHash}`);
    }
    if (currentHash !== m.hash) {
      // our snapshot lags behind the store (the watch reloads it within a second)
      throw new CoordinatorError('STATE_CONCURRENT_UPDATE', 'this replica is catching up with a manifest update; retry');
    }
    requireAuthorized(m.governance, who, 'approve', rec.change.kind === 'package-update' ? 'package' : 'manifest');
    const userName = (who as Extract<Principal, { kind: 'user' }>).name; // authorize allows users only
    const approval: Approval = { user: userName, signature };
    const now = core.clock.now();
    // verifies the signature under the user's declared key; a bad one is refused, not stored
    verifyApproval(m.governance, hash, approval, { now });
    const approvals = [...rec.approvals.filter((a) => a.user !== userName), approval];
    const updated: ProposalRecord = { ...rec, approvals };
    const res = await core.audit.commit({
      ops: {
        compare: [
          { key: KEY.proposal(hash), revision: r.revision },
          { key: KEY.manifest, revision: inForce?.revision ?? 0n },
        ],
        put: [{ key: KEY.proposal(hash), value: encodeJson(updated) }],
        delete: [],
      },
      entry: { time: now, kind: 'manifest.approved', actor: actorOf(who), detail: { proposalHash: hash, manifestHash: rec.manifestHash } },
    });
    if (!res.ok) {
      if (attempt < MAX_ATTEMPTS) continue;
      throw new CoordinatorError('STATE_CONCURRENT_UPDATE', `approval of ${hash} conflicted with concurrent approvals ${attempt} times; retry`);
    }
    core.log.info({ proposalHash: hash, by: userName }, 'manifest update approved');
    const t = tally(m.governance, { hash, change: rec.change }, approvals, { now });
    if (!t.reached) return { ...view(core, updated), applied: false, currentManifestHash: m.hash };
    const applied = await applyProposal(core, hash);
    const after = await readJson<ProposalRecord>(core.store, KEY.proposal(hash));
    if (!applied && after?.value.status !== 'applied') {
      // the quorum was there, but another update applied first: this proposal is stale now
      const now2 = await readJson<ManifestRecord>(core.store, KEY.manifest);
      throw new CoordinatorError('PROPOSAL_NOT_OPEN', `proposal ${hash} is stale: another update applied first (the current manifest is ${now2?.value.hash ?? 'unknown'})`);
    }
    return { ...view(core, after?.value ?? updated), applied: true, currentManifestHash: after?.value.manifestHash ?? core.current()?.hash ?? m.hash };
  }
}

/**
 * Applies a proposal whose quorum is reached under the manifest in force. Returns false when it
 * is not (or no longer) applicable: another update applied first, or the quorum is not there.
 * Idempotent and safe to call from any replica: the commit compares the manifest and proposal
 * revisions it read, so exactly one apply lands.
 */
export async function applyProposal(core: CoordinatorCore, hash: string): Promise<boolean> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const m = needActive(core);
    const r = await readJson<ProposalRecord>(core.store, KEY.proposal(hash));
    const manRec = await readJson<ManifestRecord>(core.store, KEY.manifest);
    const caRec = await readJson<{ ca: unknown }>(core.store, KEY.ca);
    if (r === undefined || manRec === undefined || caRec === undefined) return false;
    const rec = r.value;
    if (rec.status !== 'open' || rec.previousManifestHash !== manRec.value.hash || manRec.value.hash !== m.hash) return false;
    const now = core.clock.now();
    const t = tally(m.governance, { hash, change: rec.change }, rec.approvals, { now });
    if (!t.reached) return false;

    const next = parseManifest(rec.text);
    const roll = (next.config.caRollOnUpdate ?? 'intermediate') === 'intermediate';
    const ca: Ca = roll ? await rollIntermediate(m.ca, { now, lifetimeMs: INTERMEDIATE_LIFETIME_MS }) : m.ca;
    const secrets = await carrySecrets(m, next, ca, core, now);
    const record: ManifestRecord = { text: rec.text, hash: rec.manifestHash, setAt: now.toISOString() };
    const history: HistoryRecord = { manifestHash: rec.manifestHash, previousManifestHash: m.hash, appliedAt: now.toISOString(), proposalHash: hash, approvedBy: t.approvedBy };
    const put = [
      { key: KEY.manifest, value: encodeJson(record) },
      { key: KEY.proposal(hash), value: encodeJson({ ...rec, status: 'applied' } satisfies ProposalRecord) },
      { key: KEY.history(now, rec.manifestHash), value: encodeJson(history) },
      ...Object.entries(secrets.shared).map(([name, s]) => ({ key: KEY.sharedSecret(name), value: encodeJson(s) })),
      ...(roll ? [{ key: KEY.ca, value: encodeJson({ ca: snapshotCa(ca) }) }] : []),
    ];
    const del = [...secrets.removed];
    const rec2 = await recoveryOps(core, next);
    put.push(...rec2.put);
    del.push(...rec2.delete);
    const res = await core.audit.commit({
      ops: {
        compare: [
          { key: KEY.manifest, revision: manRec.revision },
          { key: KEY.ca, revision: caRec.revision },
          { key: KEY.proposal(hash), revision: r.revision },
        ],
        put,
        delete: del,
      },
      entry: {
        time: now,
        kind: 'manifest.applied',
        actor: 'coordinator',
        detail: { proposalHash: hash, manifestHash: rec.manifestHash, previousManifestHash: m.hash, approvedBy: [...t.approvedBy], caRolled: roll },
      },
    });
    if (!res.ok) continue; // re-read: either another replica applied it (then we return false) or a racing approval
    core.install(snapshotOf({ manifest: next, text: rec.text, hash: rec.manifestHash, ca, sharedSecrets: secrets.all, userSecrets: secrets.user }));
    core.log.info({ proposalHash: hash, manifestHash: rec.manifestHash, previousManifestHash: m.hash, approvedBy: t.approvedBy, caRolled: roll }, 'manifest update applied');
    return true;
  }
  throw new CoordinatorError('STATE_CONCURRENT_UPDATE', `applying ${hash} conflicted with concurrent changes ${MAX_ATTEMPTS} times; retry`);
}

/** Applies every open proposal that has its quorum (after a restart in the middle of an update). */
export async function applyReadyProposals(core: CoordinatorCore): Promise<number> {
  let n = 0;
  const m = core.current();
  if (m === undefined) return 0;
  for (const e of await core.store.list(KEY.proposals)) {
    const rec = JSON.parse(new TextDecoder().decode(e.value)) as ProposalRecord;
    if (rec.status === 'open' && rec.previousManifestHash === core.current()?.hash && (await applyProposal(core, rec.proposalHash))) n++;
  }
  return n;
}

export async function history(core: CoordinatorCore, who: Principal): Promise<HistoryRecord[]> {
  requireProposalReader(needActive(core), who);
  return (await core.store.list(KEY.historyPrefix)).map((e) => JSON.parse(new TextDecoder().decode(e.value)) as HistoryRecord);
}

/**
 * Secrets across an update: a shared secret whose definition is unchanged keeps its value (so
 * workloads keep their keys); new or redefined ones are generated; removed ones are deleted.
 * User secrets stay while the new manifest still declares them as user secrets.
 */
async function carrySecrets(m: ActiveManifest, next: Manifest, ca: Ca, core: CoordinatorCore, now: Date) {
  const same = (name: string) =>
    Object.hasOwn(m.manifest.secrets, name) && canonicalJson(m.manifest.secrets[name]) === canonicalJson(next.secrets[name]);
  const toGenerate = Object.fromEntries(Object.entries(next.secrets).filter(([name]) => !same(name)));
  const fresh = await generateSecrets({ ...next, secrets: toGenerate }, 'shared', { random: core.random, ca, now, scopeLabel: 'shared' });
  const all: Record<string, StoredSecret> = {};
  for (const [name, def] of Object.entries(next.secrets)) {
    if (def.scope !== 'shared' || def.type === 'user') continue;
    const s = fresh[name] ?? m.sharedSecrets[name];
    if (s !== undefined) all[name] = s;
  }
  const user: Record<string, StoredSecret> = {};
  for (const [name, s] of Object.entries(m.userSecrets)) if (next.secrets[name]?.type === 'user') user[name] = s;
  const removed = [
    ...Object.keys(m.sharedSecrets).filter((n) => all[n] === undefined).map((n) => KEY.sharedSecret(n)),
    ...Object.keys(m.userSecrets).filter((n) => user[n] === undefined).map((n) => KEY.userSecret(n)),
  ];
  return { shared: fresh, all, user, removed };
}

/** Recovery shares of the new manifest: re-split under a fresh set id, stale key envelopes removed. */
async function recoveryOps(core: CoordinatorCore, next: Manifest): Promise<{ put: Array<{ key: string; value: Uint8Array }>; delete: string[] }> {
  const existing = (await core.store.list(RECOVERY_PREFIX)).map((e) => e.key);
  if (next.recovery === undefined || core.dataKey === undefined) return { put: [], delete: existing };
  const put = [...recoveryShareOps(next.recovery, core.dataKey, core.random)];
  const written = new Set(put.map((p) => p.key));
  return { put, delete: existing.filter((k) => k.startsWith(recoveryKeysPrefix) && !written.has(k)) };
}
