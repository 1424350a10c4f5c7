import type { Logger } from 'pino';
import type { Clock, Random } from '../common/clock.js';
import { epcBytes, manifestHash as hashManifest, parseManifest } from '../manifest/index.js';
import type { Store } from '../store/index.js';
import type { EvidenceProvider } from '../tee/index.js';
import { coordinatorReportData } from '../verify/index.js';
import { activate, type ActivateRequest, type ActivateResult, type ActiveManifest } from './activation.js';
import { X509Certificate } from 'node:crypto';
import { buildCrl, createCa, loadCa, snapshotCa, type Ca } from '../ca/index.js';
import { auditHeadBytes, auditSigner, decodeAuditRecord, AUDIT_ENTRY_PREFIX, type AuditHead, type AuditRecord } from '../audit/index.js';
import { requireAuthorized, type Principal } from '../governance/index.js';
import { createAuditAppender } from './audit_appender.js';
import { loadActive, snapshotOf, type CoordinatorCore } from './core.js';
import { authenticate, createReplayCache, requireAuthenticated, type RequestCredentials } from './principal.js';
import { recoveryShareOps, RECOVERY_PREFIX } from './recovery_shares.js';
import { applyReadyProposals, approve, getProposal, history, listProposals, propose } from './updates.js';
import { getUserSecret, setUserSecret } from './user_secrets.js';
import { CoordinatorError } from './codes.js';
import type { CoordinatorMetrics } from './metrics.js';
import { createNonceRegistry, type NonceRegistry } from './nonces.js';
import { pruneUsedNonces } from './stateless_nonces.js';
import type { CommitOps } from '../store/index.js';
import { createActivationSlots } from './activation_slots.js';
import { generateSecrets } from './secrets.js';
import { authenticateInstance } from './instance_auth.js';
import { KEY, encodeJson, readJson, type HistoryRecord, type InstanceRecord, type ManifestRecord, type RevocationRecord, type VolumeRecord } from './state.js';
import type { WorkloadVerifier } from './workload_verifier.js';

export type CoordinatorState = 'uninitialized' | 'accepting-workloads' | 'recovery';

export interface CoordinatorDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly verifier: WorkloadVerifier;
  /** the coordinator's own evidence (simulated or hardware) */
  readonly evidence: EvidenceProvider;
  readonly log: Logger;
  readonly metrics: CoordinatorMetrics;
  readonly simulation: boolean;
  readonly version: string;
  /** the state data key: split into recovery shares when the manifest names recovery keys */
  readonly dataKey?: Uint8Array;
  /** most operations per store commit of the audit appender (default: etcd's 128) */
  readonly auditMaxTxnOps?: number;
  /**
   * Activation nonces. Default: this process's registry. Replicas pass nonces any replica can
   * check (stateless_nonces.ts) plus `nonceOps`, which the activation commit merges so a nonce
   * is single-use across replicas.
   */
  readonly nonces?: NonceRegistry;
  readonly nonceOps?: (nonce: Uint8Array) => Pick<CommitOps, 'compare' | 'put'>;
}

export interface AttestationResponse {
  readonly tee: string;
  readonly evidence: Uint8Array;
  readonly certs?: Uint8Array;
  readonly rootCaPem: string;
  readonly intermediateCaPem: string | undefined;
  readonly manifestHash: string | null;
  readonly auditHead: AuditHead;
}

// The coordinator's CA lives as long as its state directory: the root 10 years, the intermediate
// that signs workload certificates 1 year (manifest updates roll it; see docs/state.md).
const ROOT_LIFETIME_MS = 10 * 365 * 24 * 3600_000;
const INTERMEDIATE_LIFETIME_MS = 365 * 24 * 3600_000;

/** The coordinator's root CA as clients see it: the PEM and the DER SPKI its attestation binds. */
export interface RootIdentity {
  readonly certPem: string;
  readonly spkiDer: Uint8Array;
}

/**
 * The coordinator: one immutable snapshot of (root CA, current manifest) replaced only by
 * setManifest, and everything else in the store behind conditional commits. Invariants:
 * - `active` is undefined exactly while the state is `uninitialized`;
 * - a request reads `active` once and works on that snapshot;
 * - the root CA never changes for the life of the state directory.
 */
export async function createCoordinator(deps: CoordinatorDeps) {
  const nonces = deps.nonces ?? createNonceRegistry({ clock: deps.clock, random: deps.random, ttlMs: 60_000, capacity: 100_000 });
  const slots = createActivationSlots();
  const ca = await loadOrCreateCa(deps);
  const root: RootIdentity = {
    certPem: ca.root.certPem,
    spkiDer: new Uint8Array(new X509Certificate(ca.root.certPem).publicKey.export({ type: 'spki', format: 'der' })),
  };
  // every state change commits together with its audit entry, signed by the root CA key
  const audit = createAuditAppender({
    store: deps.store,
    signer: auditSigner(ca.root.privateKeyPem),
    ...(deps.auditMaxTxnOps === undefined ? {} : { maxTxnOps: deps.auditMaxTxnOps }),
  });
  let active: ActiveManifest | undefined = (await loadActive(deps.store, { random: deps.random, ca }))?.active;
  let setting: Promise<unknown> | undefined;
  const replay = createReplayCache({ clock: deps.clock, capacity: 100_000 });
  const core: CoordinatorCore = {
    store: deps.store,
    audit,
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    dataKey: deps.dataKey,
    current: () => active,
    install(next) {
      active = next;
      reportState();
    },
  };
  const state = (): CoordinatorState => (active === undefined ? 'uninitialized' : 'accepting-workloads');
  const reportState = () => {
    deps.metrics.state.reset();
    deps.metrics.state.set({ state: state() }, 1);
    deps.metrics.epcRequestBytes.reset();
    for (const [name, w] of Object.entries(active?.manifest.workloads ?? {})) {
      // EPC exists only for SGX packages: epcSize of a VM or simulated workload is ignored (as by the webhook)
      if (w.epcSize !== undefined && active?.manifest.packages[w.package]?.sgx !== undefined) deps.metrics.epcRequestBytes.set({ workload: name }, Number(epcBytes(w.epcSize)));
    }
  };
  deps.metrics.simulation.set(deps.simulation ? 1 : 0);
  reportState();
  for (const e of await deps.store.list('instances/')) deps.metrics.activeInstances.inc({ workload: e.key.split('/')[1]! });
  // a restart between the last approval and the apply: the quorum is there, finish the update
  const finished = await applyReadyProposals(core);
  if (finished > 0) deps.log.info({ applied: finished }, 'applied manifest updates whose quorum was reached before the restart');

  const needActive = (): ActiveManifest => {
    if (active === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet (cloister manifest set FILE)');
    return active;
  };

  async function volumeAccess(peerDer: Uint8Array | undefined, volumeId: string) {
    const m = needActive();
    const who = await authenticateInstance(peerDer, { intermediatePem: m.ca.intermediate.certPem, now: deps.clock.now(), store: deps.store });
    if (!(m.manifest.workloads[who.workload]?.protectedVolumes ?? []).includes(volumeId)) {
      throw new CoordinatorError('VOLUME_UNKNOWN', `the manifest declares no protected volume '${volumeId}' for workload '${who.workload}'`);
    }
    return { key: KEY.volume(who.workload, volumeId), who };
  }

  /**
   * The caller of a user endpoint (mTLS user certificate, signed request, or a workload, which
   * authorize then refuses); anonymous callers get 401 AUTH_REQUIRED before any role check.
   */
  async function principalOf(cred: RequestCredentials): Promise<Principal> {
    const m = active;
    const p: Principal =
      m === undefined ? { kind: 'anonymous' } : await authenticate(cred, { users: m.users, intermediatePem: m.ca.intermediate.certPem, clock: deps.clock, store: deps.store, replay });
    return requireAuthenticated(p);
  }

  return {
    root,
    /** the CA, for issuing the coordinator's own TLS certificate */
    ca,
    state,
    status() {
      return { state: state(), manifestHash: active?.hash ?? null, simulation: deps.simulation, version: deps.version };
    },

    manifest(): { text: string; hash: string } {
      const m = needActive();
      return { text: m.text, hash: m.hash };
    },

    /** Sets the first manifest. Later changes go through manifest updates (governance). */
    async setManifest(text: string): Promise<{ manifestHash: string }> {
      if (active !== undefined || setting !== undefined) {
        throw new CoordinatorError('MANIFEST_ALREADY_SET', 'a manifest is already set; change it with a manifest update (cloister manifest propose FILE)');
      }
      const p = setManifestOnce(deps, core, ca, text);
      setting = p;
      try {
        core.install(await p);
      } finally {
        setting = undefined;
      }
      const m = needActive();
      deps.log.info({ manifestHash: m.hash, workloads: Object.keys(m.manifest.workloads).length }, 'manifest set');
      return { manifestHash: m.hash };
    },

    issueNonce() {
      return nonces.issue();
    },

    async activate(req: ActivateRequest): Promise<ActivateResult> {
      const m = active;
      if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet, so workloads cannot activate');
      const started = process.hrtime.bigint();
      try {
        const r = await activate(
          { store: deps.store, commit: (c) => audit.commit(c), clock: deps.clock, random: deps.random, nonces, verifier: deps.verifier, slots, ...(deps.nonceOps === undefined ? {} : { nonceOps: deps.nonceOps }) },
          m,
          req,
        );
        deps.metrics.activations.inc({ workload: req.workload, result: 'ok' });
        if (!r.renewed) deps.metrics.activeInstances.inc({ workload: r.workload });
        deps.metrics.activationSeconds.observe({ result: 'ok' }, Number(process.hrtime.bigint() - started) / 1e9);
        deps.log.info({ workload: r.workload, instanceId: r.instanceId, tee: r.claims.tee, renewed: r.renewed }, 'workload activated');
        return r;
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'INTERNAL_ERROR';
        const known = Object.hasOwn(m.manifest.workloads, req.workload);
        deps.metrics.activations.inc({ workload: known ? req.workload : '(unknown)', result: code });
        deps.metrics.activationSeconds.observe({ result: 'error' }, Number(process.hrtime.bigint() - started) / 1e9);
        deps.log.warn({ workload: req.workload, code }, 'activation refused');
        throw e;
      }
    },

    /** Revokes the instance's certificate. Only the instance itself may (mTLS with its current certificate). */
    async deactivate(workload: string, instanceId: string, peerDer: Uint8Array | undefined): Promise<void> {
      const m = needActive();
      const who = await authenticateInstance(peerDer, { intermediatePem: m.ca.intermediate.certPem, now: deps.clock.now(), store: deps.store });
      if (who.workload !== workload || who.instanceId !== instanceId) {
        throw new CoordinatorError('INSTANCE_NOT_AUTHENTICATED', `the client certificate is that of ${who.workload}/${who.instanceId}, not ${workload}/${instanceId}`);
      }
      const inst = await readJson<InstanceRecord>(deps.store, KEY.instance(workload, instanceId));
      if (inst === undefined) throw new CoordinatorError('INSTANCE_UNKNOWN', `no instance '${instanceId}' of workload '${workload}'`);
      const now = deps.clock.now();
      const rev: RevocationRecord = { revokedAt: now.toISOString(), workload, instanceId };
      const res = await audit.commit({
        ops: {
          compare: [{ key: KEY.instance(workload, instanceId), revision: inst.revision }],
          put: [{ key: KEY.revocation(inst.value.serial), value: encodeJson(rev) }],
          delete: [KEY.instance(workload, instanceId)],
        },
        entry: { time: now, kind: 'workload.deactivated', actor: `workload:${workload}/${instanceId}`, detail: { workload, instanceId, serial: inst.value.serial } },
      });
      if (!res.ok) throw new CoordinatorError('STATE_CONCURRENT_UPDATE', 'the instance changed while deactivating; retry');
      deps.metrics.activeInstances.dec({ workload });
      deps.log.info({ workload, instanceId }, 'instance deactivated, certificate revoked');
    },

    /** The latest recorded state of a protected volume of the calling instance's workload. */
    async volume(peerDer: Uint8Array | undefined, volumeId: string): Promise<VolumeRecord | undefined> {
      const { key } = await volumeAccess(peerDer, volumeId);
      return (await readJson<VolumeRecord>(deps.store, key))?.value;
    },

    /** Compare-and-set of a protected volume's state: monotonic versions, kept in the sealed store. */
    async advanceVolume(peerDer: Uint8Array | undefined, volumeId: string, expectedVersion: number, next: VolumeRecord): Promise<void> {
      const { key, who } = await volumeAccess(peerDer, volumeId);
      const cur = await readJson<VolumeRecord>(deps.store, key);
      const have = cur?.value.version ?? 0;
      if (have !== expectedVersion || next.version <= have) {
        throw new CoordinatorError('VOLUME_VERSION_CONFLICT', `volume ${volumeId}: at version ${have}; expected ${expectedVersion}, next ${next.version} must be greater`, {
          detail: { version: have },
        });
      }
      const res = await audit.commit({
        ops: { compare: [{ key, revision: cur?.revision ?? 0n }], put: [{ key, value: encodeJson(next) }], delete: [] },
        entry: {
          time: deps.clock.now(),
          kind: 'volume.advanced',
          actor: `workload:${who.workload}/${who.instanceId}`,
          detail: { workload: who.workload, volumeId, version: next.version, hash: next.hash },
        },
      });
      if (!res.ok) throw new CoordinatorError('VOLUME_VERSION_CONFLICT', `volume ${volumeId} changed concurrently; reopen it`);
      deps.log.info({ workload: who.workload, instanceId: who.instanceId, volumeId, version: next.version }, 'protected volume advanced');
    },

    /** The intermediate's CRL over every revoked serial (valid 1 h; clients refetch). */
    async crl(): Promise<Uint8Array> {
      const m = needActive();
      const entries = await deps.store.list(KEY.revocations);
      const now = deps.clock.now();
      const revoked = entries.map((e) => ({
        serial: e.key.slice(KEY.revocations.length),
        reason: 'superseded' as const,
        revokedAt: new Date((JSON.parse(new TextDecoder().decode(e.value)) as RevocationRecord).revokedAt),
      }));
      return (await buildCrl({ ...m.ca, revoked }, now, new Date(now.getTime() + 3600_000))).der;
    },

    /** The coordinator's own evidence, bound to its root CA key, the manifest hash, the audit head and the client's nonce. */
    async attestation(nonce: Uint8Array): Promise<AttestationResponse> {
      if (nonce.length < 16 || nonce.length > 64) throw new CoordinatorError('REQUEST_INVALID', `nonce must be 16-64 bytes, got ${nonce.length}`);
      const m = active;
      const head = await audit.head();
      const hash = m === undefined ? new Uint8Array(0) : Buffer.from(m.hash, 'hex');
      const ev = await deps.evidence.getEvidence(coordinatorReportData(root.spkiDer, hash, auditHeadBytes(head), nonce));
      return {
        tee: ev.tee,
        evidence: ev.evidence,
        ...(ev.certs === undefined ? {} : { certs: ev.certs }),
        rootCaPem: root.certPem,
        intermediateCaPem: m?.ca.intermediate.certPem,
        manifestHash: m?.hash ?? null,
        auditHead: head,
      };
    },

    // --- governance (docs/governance.md); every call authenticates first -------------------
    principalOf,
    propose: async (cred: RequestCredentials, text: string) => propose(core, await principalOf(cred), text),
    proposals: async (cred: RequestCredentials) => listProposals(core, await principalOf(cred)),
    proposal: async (cred: RequestCredentials, hash: string) => getProposal(core, await principalOf(cred), hash),
    approve: async (cred: RequestCredentials, hash: string, signature: string) => approve(core, await principalOf(cred), hash, signature),
    history: async (cred: RequestCredentials): Promise<HistoryRecord[]> => history(core, await principalOf(cred)),
    setSecret: async (cred: RequestCredentials, name: string, value: Uint8Array) => setUserSecret(core, await principalOf(cred), name, value),
    getSecret: async (cred: RequestCredentials, name: string) => getUserSecret(core, await principalOf(cred), name),

    /** Audit entries from `from` (1-based seq), at most `limit`, and the head. */
    async auditLog(cred: RequestCredentials, from: number, limit: number): Promise<{ entries: AuditRecord[]; head: AuditHead }> {
      requireAuthorized(needActive().governance, await principalOf(cred), 'audit.read');
      const head = await audit.head();
      const entries: AuditRecord[] = [];
      for (const e of await deps.store.list(AUDIT_ENTRY_PREFIX)) {
        const seq = Number(e.key.slice(AUDIT_ENTRY_PREFIX.length));
        if (seq < from || seq > head.seq) continue;
        entries.push(decodeAuditRecord(e.value));
        if (entries.length >= limit) break;
      }
      return { entries, head };
    },

    /**
     * After recovery opened the state with the key holders' shares: split the data key again
     * under a fresh share set (the submitted shares were seen in plaintext by this process) and
     * record the recovery in the audit log.
     */
    async afterRecovery(detail: { sharesUsed: number }): Promise<void> {
      const m = active;
      const put = m?.manifest.recovery !== undefined && deps.dataKey !== undefined ? [...recoveryShareOps(m.manifest.recovery, deps.dataKey, deps.random)] : [];
      const res = await audit.commit({
        ops: { compare: [], put, delete: [] },
        entry: { time: deps.clock.now(), kind: 'recovery.completed', actor: 'recovery', detail: { sharesUsed: detail.sharesUsed, resplit: put.length > 0 } },
      });
      if (!res.ok) throw new CoordinatorError('STATE_CONCURRENT_UPDATE', 'recording the recovery conflicted; retry');
      deps.log.info({ resplit: put.length > 0 }, 'recovery recorded in the audit log');
    },

    /** Reloads the snapshot from the store: another replica changed the manifest, CA or secrets. */
    async refresh(): Promise<void> {
      const loaded = await loadActive(deps.store, { random: deps.random });
      const next = loaded?.active;
      if (next === undefined) return;
      const changed = next.hash !== active?.hash || next.ca.intermediate.certPem !== active?.ca.intermediate.certPem;
      core.install(next);
      if (changed) deps.log.info({ manifestHash: next.hash }, 'snapshot reloaded after a change by another replica');
    },

    /** Once-only upkeep, run by the elected leader: finish reached quorums, prune used nonces. */
    async maintenance(): Promise<{ applied: number; pruned: number }> {
      const applied = await applyReadyProposals(core);
      const pruned = deps.nonceOps === undefined ? 0 : await pruneUsedNonces(deps.store, deps.clock.now());
      return { applied, pruned };
    },

    async close(): Promise<void> {
      await audit.close();
    },
  };
}

export type Coordinator = Awaited<ReturnType<typeof createCoordinator>>;

async function loadOrCreateCa(deps: CoordinatorDeps): Promise<Ca> {
  const stored = await readJson<{ ca: unknown }>(deps.store, KEY.ca);
  if (stored !== undefined) return loadCa(stored.value.ca, { random: deps.random });
  const ca = await createCa({
    // certificates of a simulated coordinator say so in their subject
    name: deps.simulation ? 'Cloister SIMULATED Coordinator' : 'Cloister Coordinator',
    now: deps.clock.now(),
    random: deps.random,
    rootLifetimeMs: ROOT_LIFETIME_MS,
    intermediateLifetimeMs: INTERMEDIATE_LIFETIME_MS,
  });
  const res = await deps.store.commit({ compare: [{ key: KEY.ca, revision: 0n }], put: [{ key: KEY.ca, value: encodeJson({ ca: snapshotCa(ca) }) }], delete: [] });
  if (!res.ok) return loadOrCreateCa(deps); // another process created it first: use theirs
  deps.log.info('created the coordinator CA (root + intermediate)');
  return ca;
}

async function setManifestOnce(deps: CoordinatorDeps, core: CoordinatorCore, ca: Ca, text: string): Promise<ActiveManifest> {
  const manifest = parseManifest(text);
  const hash = hashManifest(manifest);
  const now = deps.clock.now();
  const sharedSecrets = await generateSecrets(manifest, 'shared', { random: deps.random, ca, now, scopeLabel: 'shared' });
  const record: ManifestRecord = { text, hash, setAt: now.toISOString() };
  const first: HistoryRecord = { manifestHash: hash, previousManifestHash: null, appliedAt: now.toISOString(), proposalHash: null, approvedBy: [] };
  const recovery = manifest.recovery !== undefined && deps.dataKey !== undefined ? recoveryShareOps(manifest.recovery, deps.dataKey, deps.random) : [];
  const stale = (await deps.store.list(RECOVERY_PREFIX)).map((e) => e.key).filter((k) => !recovery.some((p) => p.key === k));
  const res = await core.audit.commit({
    ops: {
      compare: [{ key: KEY.manifest, revision: 0n }],
      put: [
        { key: KEY.manifest, value: encodeJson(record) },
        { key: KEY.history(now, hash), value: encodeJson(first) },
        ...Object.entries(sharedSecrets).map(([name, s]) => ({ key: KEY.sharedSecret(name), value: encodeJson(s) })),
        ...recovery,
      ],
      delete: stale,
    },
    entry: { time: now, kind: 'manifest.set', actor: 'anonymous', detail: { manifestHash: hash, recoveryKeys: Object.keys(manifest.recovery?.keys ?? {}) } },
  });
  if (!res.ok) throw new CoordinatorError('MANIFEST_ALREADY_SET', 'a manifest was set concurrently');
  return snapshotOf({ manifest, hash, text, ca, sharedSecrets, userSecrets: {} });
}
