import type { Logger } from 'pino';
import { GENESIS_HEAD, auditHeadBytes } from '../audit/index.js';
import type { Clock, Random } from '../common/clock.js';
import { CloisterError } from '../common/errors.js';
import { RecoverySession } from '../recovery/index.js';
import { createSealedStore, resealDataKey, type SealingKeyProvider, type Store } from '../store/index.js';
import type { EvidenceProvider } from '../tee/index.js';
import { coordinatorReportData } from '../verify/index.js';
import { CoordinatorError } from './codes.js';
import type { AttestationResponse, Coordinator, RootIdentity } from './coordinator.js';
import { readRecoveryShares } from './recovery_shares.js';
import { KEY } from './state.js';

/** What the HTTP layer needs of a coordinator (normal or in recovery). */
export type CoordinatorApi = Omit<Coordinator, 'root' | 'ca' | 'status'> & {
  readonly root: Coordinator['root'] | undefined;
  status(): ReturnType<Coordinator['status']> & { recoveryReason?: string };
};

/** The coordinator the HTTP server serves right now: recovery swaps it for the normal one. */
export interface CoordinatorHolder {
  current: CoordinatorApi;
}

/**
 * The coordinator while its sealed state cannot be opened (new host, lost sealing key): it
 * answers status with `recovery` and the reason, attests itself, and refuses everything else
 * with COORDINATOR_IN_RECOVERY without touching the sealed state. Its attestation binds the
 * throwaway root CA created at start (main.ts), an empty manifest hash and the genesis audit
 * head: holders attest it and pin that root before they send their shares over TLS.
 */
export function recoveryCoordinator(o: { reason: string; simulation: boolean; version: string; root: RootIdentity; evidence: EvidenceProvider }): CoordinatorApi {
  const refuse = (): never => {
    throw new CoordinatorError('COORDINATOR_IN_RECOVERY', `the coordinator is in recovery: ${o.reason}`);
  };
  return {
    root: o.root,
    state: () => 'recovery',
    status: () => ({ state: 'recovery', manifestHash: null, simulation: o.simulation, version: o.version, recoveryReason: o.reason }),
    manifest: refuse,
    setManifest: async () => refuse(),
    issueNonce: refuse,
    activate: async () => refuse(),
    deactivate: async () => refuse(),
    volume: async () => refuse(),
    advanceVolume: async () => refuse(),
    crl: async () => refuse(),
    // governance needs the sealed state (users, proposals, audit log): refused like the rest
    principalOf: async () => refuse(),
    propose: async () => refuse(),
    proposals: async () => refuse(),
    proposal: async () => refuse(),
    approve: async () => refuse(),
    history: async () => refuse(),
    setSecret: async () => refuse(),
    getSecret: async () => refuse(),
    auditLog: async () => refuse(),
    afterRecovery: async () => refuse(),
    refresh: async () => {},
    maintenance: async () => ({ applied: 0, pruned: 0 }),
    close: async () => {},
    async attestation(nonce: Uint8Array): Promise<AttestationResponse> {
      if (nonce.length < 16 || nonce.length > 64) throw new CoordinatorError('REQUEST_INVALID', `nonce must be 16-64 bytes, got ${nonce.length}`);
      const ev = await o.evidence.getEvidence(coordinatorReportData(o.root.spkiDer, new Uint8Array(0), auditHeadBytes(GENESIS_HEAD), nonce));
      return {
        tee: ev.tee,
        evidence: ev.evidence,
        ...(ev.certs === undefined ? {} : { certs: ev.certs }),
        rootCaPem: o.root.certPem,
        intermediateCaPem: undefined,
        manifestHash: null,
        auditHead: GENESIS_HEAD,
      };
    },
  };
}

export interface RecoveryInfo {
  readonly state: string;
  readonly threshold: number;
  readonly total: number;
  readonly have: number;
  readonly keys: Readonly<Record<string, { readonly fingerprint: string; readonly envelope: string }>>;
}

/** What the audit entry of a completed recovery records. */
export interface RecoveryDetail {
  readonly sharesUsed: number;
}

export type RecoverResult = { readonly status: 'collecting'; readonly have: number; readonly need: number } | { readonly status: 'complete'; readonly state: string };

export interface RecoveryServiceDeps {
  /** the raw (inner) store: the public recovery keys are readable without the data key */
  readonly store: Pick<Store, 'get' | 'list'>;
  /** the state of the coordinator served now */
  readonly state: () => string;
  /** called with the recovered data key; throws (RECOVERY_STATE_MISMATCH...) when it cannot be used */
  readonly unlock: (dataKey: Uint8Array, detail: RecoveryDetail) => Promise<void>;
  readonly log: Logger;
}

/**
 * GET /api/v1/recovery and POST /api/v1/recover. Submissions are serialized, so the threshold
 * is reached and `unlock` runs exactly once. A rejected share (RecoverySession codes) changes
 * nothing; a combined key that `unlock` refuses restarts the session from zero shares, since
 * one of the accepted shares (or the public share-set info) must have been wrong.
 */
export function createRecoveryService(d: RecoveryServiceDeps) {
  let session: RecoverySession | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function submit(share: Uint8Array): Promise<RecoverResult> {
    const state = d.state();
    if (state !== 'recovery') throw new CoordinatorError('RECOVERY_NOT_POSSIBLE', `the coordinator is ${state}, not in recovery`);
    const shares = await readRecoveryShares(d.store);
    if (shares === undefined) {
      throw new CoordinatorError('RECOVERY_NOT_POSSIBLE', 'the manifest has no recovery keys, so the sealed state cannot be recovered by key holders (recovery keys: governance)');
    }
    // in recovery nothing writes the store, so the share set read first stays the one in force
    session ??= new RecoverySession(shares.info);
    const p = session.submit(share);
    d.log.info({ accepted: p.accepted, have: p.have, need: p.need }, 'recovery share accepted');
    if (p.status === 'collecting') return { status: 'collecting', have: p.have, need: p.need };
    try {
      // a copy: the coordinator keeps the key it is given (to split it again on manifest updates)
      await d.unlock(new Uint8Array(p.secret), { sharesUsed: p.have });
    } catch (e) {
      session = undefined;
      d.log.error({ code: e instanceof CloisterError ? e.code : 'INTERNAL_ERROR' }, 'recovered key not usable; recovery session restarts');
      throw e;
    } finally {
      p.secret.fill(0);
    }
    session = undefined;
    d.log.warn({ state: d.state() }, 'recovery complete: sealed state opened with the recovered data key');
    return { status: 'complete', state: d.state() };
  }

  return {
    async info(): Promise<RecoveryInfo> {
      const shares = await readRecoveryShares(d.store);
      if (shares === undefined) throw new CoordinatorError('RECOVERY_NOT_CONFIGURED', 'the manifest declares no recovery keys');
      const keys = Object.fromEntries(
        Object.entries(shares.keys).map(([name, k]) => [name, { fingerprint: k.fingerprint, envelope: Buffer.from(k.envelope).toString('base64') }]),
      );
      const state = d.state();
      const have = state === 'recovery' && session !== undefined ? session.progress.have : 0;
      return { state, threshold: shares.info.threshold, total: shares.info.total, have, keys };
    },
    submit(share: Uint8Array): Promise<RecoverResult> {
      const run = queue.then(() => submit(share));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

export type RecoveryService = ReturnType<typeof createRecoveryService>;

/**
 * The coordinator's side of a completed recovery: checks that `dataKey` opens the sealed state
 * (the CA record must decrypt under it; the share-set info is public and could be forged),
 * re-seals it under the platform's current sealing provider (the old blob is kept), then hands
 * it to `onRecovered`, which builds the normal coordinator exactly as a normal start does.
 */
export async function completeRecovery(
  o: { store: Store; stateDir: string; sealing: SealingKeyProvider; random: Random; clock: Clock; log: Logger; onRecovered: (dataKey: Uint8Array, detail: RecoveryDetail) => Promise<void> },
  dataKey: Uint8Array,
  detail: RecoveryDetail,
): Promise<void> {
  const sealed = createSealedStore(o.store, { dataKey, random: o.random });
  let ca: unknown;
  try {
    ca = await sealed.get(KEY.ca);
  } catch (cause) {
    const code = cause instanceof CloisterError ? cause.code : 'INTERNAL_ERROR';
    throw new CoordinatorError('RECOVERY_STATE_MISMATCH', `the recovered data key does not open the sealed ${KEY.ca} (${code})`, { cause });
  }
  if (ca === undefined) throw new CoordinatorError('RECOVERY_STATE_MISMATCH', `the sealed state has no ${KEY.ca} to check the recovered data key against`);
  const kept = await resealDataKey({ dir: o.stateDir, provider: o.sealing, dataKey, random: o.random, now: o.clock.now() });
  o.log.warn({ provider: o.sealing.kind, replacedBlobKeptAs: kept }, 'recovered data key re-sealed under the current platform');
  await o.onRecovered(dataKey, detail);
}
