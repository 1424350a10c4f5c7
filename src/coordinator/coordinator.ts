import type { Logger } from 'pino';
import type { Clock, Random } from '../common/clock.js';
import { epcBytes, manifestHash as hashManifest, parseManifest } from '../manifest/index.js';
import type { Store } from '../store/index.js';
import type { EvidenceProvider } from '../tee/index.js';
import { coordinatorReportData } from '../verify/index.js';
import { activate, type ActivateRequest, type ActivateResult, type ActiveManifest } from './activation.js';
import { X509Certificate } from 'node:crypto';
import { buildCrl, createCa, loadCa, snapshotCa, type Ca } from '../ca/index.js';
import { CoordinatorError } from './codes.js';
import type { CoordinatorMetrics } from './metrics.js';
import { createNonceRegistry } from './nonces.js';
import { createActivationSlots } from './activation_slots.js';
import { generateSecrets } from './secrets.js';
import { authenticateInstance } from './instance_auth.js';
import { KEY, encodeJson, readJson, type InstanceRecord, type ManifestRecord, type RevocationRecord, type StoredSecret, type VolumeRecord } from './state.js';
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
}

export interface AttestationResponse {
  readonly tee: string;
  readonly evidence: Uint8Array;
  readonly certs?: Uint8Array;
  readonly rootCaPem: string;
  readonly intermediateCaPem: string | undefined;
  readonly manifestHash: string | null;
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
  const nonces = createNonceRegistry({ clock: deps.clock, random: deps.random, ttlMs: 60_000, capacity: 100_000 });
  const slots = createActivationSlots();
  const ca = await loadOrCreateCa(deps);
  const root: RootIdentity = {
    certPem: ca.root.certPem,
    spkiDer: new Uint8Array(new X509Certificate(ca.root.certPem).publicKey.export({ type: 'spki', format: 'der' })),
  };
  let active: ActiveManifest | undefined = await loadManifest(deps, ca);
  let setting: Promise<unknown> | undefined;
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

  async function volumeAccess(peerDer: Uint8Array | undefined, volumeId: string) {
    const m = active;
    if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet');
    const who = await authenticateInstance(peerDer, { intermediatePem: m.ca.intermediate.certPem, now: deps.clock.now(), store: deps.store });
    if (!(m.manifest.workloads[who.workload]?.protectedVolumes ?? []).includes(volumeId)) {
      throw new CoordinatorError('VOLUME_UNKNOWN', `the manifest declares no protected volume '${volumeId}' for workload '${who.workload}'`);
    }
    return { key: KEY.volume(who.workload, volumeId), who };
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
      if (active === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet (cloister manifest set FILE)');
      return { text: active.text, hash: active.hash };
    },

    /** Sets the first manifest. Later changes go through manifest updates (governance). */
    async setManifest(text: string): Promise<{ manifestHash: string }> {
      if (active !== undefined || setting !== undefined) {
        throw new CoordinatorError('MANIFEST_ALREADY_SET', 'a manifest is already set; change it with a manifest update');
      }
      const p = setManifestOnce(deps, ca, text);
      setting = p;
      try {
        active = await p;
      } finally {
        setting = undefined;
      }
      reportState();
      deps.log.info({ manifestHash: active.hash, workloads: Object.keys(active.manifest.workloads).length }, 'manifest set');
      return { manifestHash: active.hash };
    },

    issueNonce() {
      return nonces.issue();
    },

    async activate(req: ActivateRequest): Promise<ActivateResult> {
      const m = active;
      if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet, so workloads cannot activate');
      const started = process.hrtime.bigint();
      try {
        const r = await activate({ store: deps.store, clock: deps.clock, random: deps.random, nonces, verifier: deps.verifier, slots }, m, req);
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
      const m = active;
      if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet');
      const who = await authenticateInstance(peerDer, { intermediatePem: m.ca.intermediate.certPem, now: deps.clock.now(), store: deps.store });
      if (who.workload !== workload || who.instanceId !== instanceId) {
        throw new CoordinatorError('INSTANCE_NOT_AUTHENTICATED', `the client certificate is that of ${who.workload}/${who.instanceId}, not ${workload}/${instanceId}`);
      }
      const inst = await readJson<InstanceRecord>(deps.store, KEY.instance(workload, instanceId));
      if (inst === undefined) throw new CoordinatorError('INSTANCE_UNKNOWN', `no instance '${instanceId}' of workload '${workload}'`);
      const rev: RevocationRecord = { revokedAt: deps.clock.now().toISOString(), workload, instanceId };
      const res = await deps.store.commit({
        compare: [{ key: KEY.instance(workload, instanceId), revision: inst.revision }],
        put: [{ key: KEY.revocation(inst.value.serial), value: encodeJson(rev) }],
        delete: [KEY.instance(workload, instanceId)],
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
      const res = await deps.store.commit({ compare: [{ key, revision: cur?.revision ?? 0n }], put: [{ key, value: encodeJson(next) }], delete: [] });
      if (!res.ok) throw new CoordinatorError('VOLUME_VERSION_CONFLICT', `volume ${volumeId} changed concurrently; reopen it`);
      deps.log.info({ workload: who.workload, instanceId: who.instanceId, volumeId, version: next.version }, 'protected volume advanced');
    },

    /** The intermediate's CRL over every revoked serial (valid 1 h; clients refetch). */
    async crl(): Promise<Uint8Array> {
      const m = active;
      if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet, so there is no CA');
      const entries = await deps.store.list(KEY.revocations);
      const now = deps.clock.now();
      const revoked = entries.map((e) => ({
        serial: e.key.slice(KEY.revocations.length),
        reason: 'superseded' as const,
        revokedAt: new Date((JSON.parse(new TextDecoder().decode(e.value)) as RevocationRecord).revokedAt),
      }));
      return (await buildCrl({ ...m.ca, revoked }, now, new Date(now.getTime() + 3600_000))).der;
    },

    /** The coordinator's own evidence, bound to its root CA key, the manifest hash and the client's nonce. */
    async attestation(nonce: Uint8Array): Promise<AttestationResponse> {
      if (nonce.length < 16 || nonce.length > 64) throw new CoordinatorError('REQUEST_INVALID', `nonce must be 16-64 bytes, got ${nonce.length}`);
      const m = active;
      const hash = m === undefined ? new Uint8Array(0) : Buffer.from(m.hash, 'hex');
      const ev = await deps.evidence.getEvidence(coordinatorReportData(root.spkiDer, hash, nonce));
      return {
        tee: ev.tee,
        evidence: ev.evidence,
        ...(ev.certs === undefined ? {} : { certs: ev.certs }),
        rootCaPem: root.certPem,
        intermediateCaPem: m?.ca.intermediate.certPem,
        manifestHash: m?.hash ?? null,
      };
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

async function loadManifest(deps: CoordinatorDeps, ca: Ca): Promise<ActiveManifest | undefined> {
  const rec = await readJson<ManifestRecord>(deps.store, KEY.manifest);
  if (rec === undefined) return undefined;
  const manifest = parseManifest(rec.value.text);
  const sharedSecrets: Record<string, StoredSecret> = {};
  for (const e of await deps.store.list('secrets/shared/')) {
    sharedSecrets[e.key.slice('secrets/shared/'.length)] = JSON.parse(new TextDecoder().decode(e.value)) as StoredSecret;
  }
  return { manifest, hash: rec.value.hash, text: rec.value.text, ca, sharedSecrets };
}

async function setManifestOnce(deps: CoordinatorDeps, ca: Ca, text: string): Promise<ActiveManifest> {
  const manifest = parseManifest(text);
  const hash = hashManifest(manifest);
  const now = deps.clock.now();
  const sharedSecrets = await generateSecrets(manifest, 'shared', { random: deps.random, ca, now, scopeLabel: 'shared' });
  const record: ManifestRecord = { text, hash, setAt: now.toISOString() };
  const res = await deps.store.commit({
    compare: [{ key: KEY.manifest, revision: 0n }],
    put: [
      { key: KEY.manifest, value: encodeJson(record) },
      ...Object.entries(sharedSecrets).map(([name, s]) => ({ key: KEY.sharedSecret(name), value: encodeJson(s) })),
    ],
    delete: [],
  });
  if (!res.ok) throw new CoordinatorError('MANIFEST_ALREADY_SET', 'a manifest was set concurrently');
  return { manifest, hash, text, ca, sharedSecrets };
}
