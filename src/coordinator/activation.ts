import type { Clock, Random } from '../common/clock.js';
import { toHex } from '../common/bytes.js';
import { durationMs, renderTemplate, type Manifest, type SecretMaterial } from '../manifest/index.js';
import type { CommitOps, Store } from '../store/index.js';
import type { AuditedCommit, AuditedCommitResult } from './audit_appender.js';
import { activationReportData, checkReportData } from '../verify/index.js';
import { issueLeaf, verifyCsr, type Ca, type IssuedLeaf } from '../ca/index.js';
import type { GovernanceModel } from '../governance/index.js';
import type { ActivationSlots } from './activation_slots.js';
import type { UserIndex } from './principal.js';
import { CoordinatorError } from './codes.js';
import type { NonceRegistry } from './nonces.js';
import { matchPackage, type WorkloadClaims } from './package_match.js';
import { generateSecrets, toMaterial } from './secrets.js';
import { KEY, encodeJson, readJson, type CounterRecord, type InstanceRecord, type RevocationRecord, type StoredSecret } from './state.js';
import type { WorkloadEvidence, WorkloadVerifier } from './workload_verifier.js';

export interface ActivateRequest {
  readonly workload: string;
  readonly instanceId?: string;
  readonly nonce: Uint8Array;
  readonly evidence: WorkloadEvidence;
  readonly csrPem: string;
}

export interface ActivateResult {
  readonly workload: string;
  readonly instanceId: string;
  readonly certificatePem: string;
  readonly chainPem: readonly string[];
  readonly expiresAt: Date;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
  /**
   * The private key never leaves the workload, so `{{ self.key }}` renders as this random
   * token; the launcher replaces it with its own PEM key before writing files / env / argv.
   */
  readonly selfKeyPlaceholder: string;
  readonly manifestHash: string;
  readonly claims: WorkloadClaims;
  readonly renewed: boolean;
}

/** One manifest's view for activation: immutable while that manifest is current. */
export interface ActiveManifest {
  readonly manifest: Manifest;
  /** the manifest document exactly as it was set (JSON or YAML) */
  readonly text: string;
  readonly hash: string;
  /** the coordinator's CA (root + intermediate) that certifies this manifest's workloads */
  readonly ca: Ca;
  readonly sharedSecrets: Readonly<Record<string, StoredSecret>>;
  /** secrets of type user, as set through the API */
  readonly userSecrets: Readonly<Record<string, StoredSecret>>;
  /** users, roles, approvals and recovery of this manifest (defaults applied) */
  readonly governance: GovernanceModel;
  /** the users indexed for authentication */
  readonly users: UserIndex;
}

export interface ActivationDeps {
  readonly store: Pick<Store, 'get'>;
  /** the audited commit (audit_appender.ts): the instance record and its audit entry land together */
  readonly commit: (c: AuditedCommit) => Promise<AuditedCommitResult>;
  /** store ops that make the nonce single-use across replicas (stateless_nonces.ts), if shared */
  readonly nonceOps?: (nonce: Uint8Array) => Pick<CommitOps, 'compare' | 'put'>;
  readonly clock: Clock;
  readonly random: Random;
  readonly nonces: NonceRegistry;
  readonly verifier: WorkloadVerifier;
  /** shared by all activations of this coordinator (activation_slots.ts) */
  readonly slots: ActivationSlots;
}

const MAX_COMMIT_ATTEMPTS = 8;
const INSTANCE_ID_RE = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const dec = new TextDecoder();

/**
 * Activation: the nonce is consumed first (whatever the outcome, so evidence bound to it is
 * never accepted twice), then evidence -> package -> key binding -> CSR -> limits, and only
 * then is a certificate issued and the instance recorded in one conditional commit.
 */
export async function activate(deps: ActivationDeps, m: ActiveManifest, req: ActivateRequest): Promise<ActivateResult> {
  // own properties only: a workload named 'constructor' or '__proto__' must not find Object's
  const workload = Object.hasOwn(m.manifest.workloads, req.workload) ? m.manifest.workloads[req.workload] : undefined;
  if (workload === undefined) throw new CoordinatorError('WORKLOAD_UNKNOWN', `the manifest declares no workload '${req.workload}'`);
  if (req.instanceId !== undefined && !INSTANCE_ID_RE.test(req.instanceId)) {
    throw new CoordinatorError('REQUEST_INVALID', `instanceId '${req.instanceId}' must be 1-63 lowercase letters, digits, '.' or '-'`);
  }
  if (!deps.nonces.consume(req.nonce)) {
    throw new CoordinatorError('NONCE_INVALID', 'the activation nonce is unknown, expired or already used: request a fresh one (POST /api/v1/nonce)');
  }
  const now = deps.clock.now();
  const claims = await deps.verifier.verify(req.evidence, now);
  const pkg = m.manifest.packages[workload.package]!;
  matchPackage(workload.package, pkg, claims);
  const csr = await verifyCsr(req.csrPem);
  checkReportData(claims.claims.reportData, activationReportData(csr.publicKeySpki, req.nonce), 'activation evidence');

  const max = workload.maxActivations;
  const maxReached = () =>
    new CoordinatorError('MAX_ACTIVATIONS_REACHED', `workload '${req.workload}' already has its maximum of ${max} instance(s)`);
  for (let attempt = 1; ; attempt++) {
    // 1. The instance id: the explicit one, or the next auto id that is neither stored nor
    //    held by another in-flight activation (reserve() right after the read, no await between).
    const seen = await readJson<CounterRecord>(deps.store, KEY.counter(req.workload));
    let next = seen?.value.next ?? 0;
    let instanceId = req.instanceId ?? `${req.workload}-${next}`;
    let existing = await readJson<InstanceRecord>(deps.store, KEY.instance(req.workload, instanceId));
    while (req.instanceId === undefined && (existing !== undefined || !deps.slots.reserve(req.workload, instanceId))) {
      next += 1;
      instanceId = `${req.workload}-${next}`;
      existing = await readJson<InstanceRecord>(deps.store, KEY.instance(req.workload, instanceId));
    }
    const reservedId = req.instanceId === undefined ? instanceId : undefined;
    try {
      const renewed = existing !== undefined;
      if (!renewed && max !== undefined && (seen?.value.count ?? 0) >= max) throw maxReached();
      // 2. The expensive part, concurrently with other activations: secrets and the certificate.
      //    A renewal keeps its secrets; per-instance secrets a manifest update added are made now.
      const have = existing?.value.secrets ?? {};
      const missing = Object.entries(m.manifest.secrets).filter(([n, d]) => d.scope === 'per-instance' && have[n] === undefined);
      const instanceSecrets =
        missing.length === 0
          ? have
          : { ...have, ...(await generateSecrets({ ...m.manifest, secrets: Object.fromEntries(missing) }, 'per-instance', { random: deps.random, ca: m.ca, now, scopeLabel: instanceId })) };
      const lifetimeMs = durationMs(workload.certificate?.lifetime ?? m.manifest.config.certLifetime);
      const leaf = await issueLeaf(m.ca, {
        csr, // verified above: one signature check per activation
        subjectCn: req.workload,
        sans: {
          dns: workload.certificate?.sans.dns ?? [],
          ip: workload.certificate?.sans.ip ?? [],
          uri: [`cloister://workload/${req.workload}/${instanceId}`],
        },
        lifetimeMs,
        now,
      });
      const record: InstanceRecord = {
        serial: leaf.serial,
        activatedAt: existing?.value.activatedAt ?? now.toISOString(),
        renewedAt: now.toISOString(),
        expiresAt: leaf.notAfter.toISOString(),
        secrets: instanceSecrets,
      };
      // 3. One conditional commit on the counter as it is now and the instance as we saw it;
      //    the limit is checked against that same counter, so concurrency cannot exceed it.
      const { pending } = await deps.slots.exclusive(req.workload, async () => {
        const counter = await readJson<CounterRecord>(deps.store, KEY.counter(req.workload));
        const counterValue = counter?.value ?? { count: 0, next: 0 };
        if (!renewed && max !== undefined && counterValue.count >= max) throw maxReached();
        const put: Array<{ key: string; value: Uint8Array }> = [{ key: KEY.instance(req.workload, instanceId), value: encodeJson(record) }];
        if (!renewed) {
          const after = reservedId === undefined ? counterValue.next : Math.max(counterValue.next, next + 1);
          put.push({ key: KEY.counter(req.workload), value: encodeJson({ count: counterValue.count + 1, next: after } satisfies CounterRecord) });
        }
        if (existing !== undefined) {
          const rev: RevocationRecord = { revokedAt: now.toISOString(), workload: req.workload, instanceId };
          put.push({ key: KEY.revocation(existing.value.serial), value: encodeJson(rev) });
        }
        // The section ends once the store has DECIDED the commit (it is then visible to the next
        // activation's read of the counter), not when it is durable: same-workload activations
        // pipeline through the group commit instead of queueing one fsync each.
        let decided!: () => void;
        const isDecided = new Promise<void>((r) => (decided = r));
        const result = deps.commit({
          onDecided: () => decided(),
          ops: {
            compare: [
              // a renewal does not write the counter, so it need not compare it: renewals of one
              // workload on several replicas then never conflict with each other
              ...(renewed ? [] : [{ key: KEY.counter(req.workload), revision: counter?.revision ?? 0n }]),
              { key: KEY.instance(req.workload, instanceId), revision: existing?.revision ?? 0n },
              ...(deps.nonceOps?.(req.nonce).compare ?? []),
            ],
            put: [...put, ...(deps.nonceOps?.(req.nonce).put ?? [])],
            delete: [],
          },
          entry: {
            time: now,
            kind: 'workload.activated',
            actor: `workload:${req.workload}/${instanceId}`,
            detail: { workload: req.workload, instanceId, serial: leaf.serial, renewed, tee: claims.tee, manifestHash: m.hash },
          },
        });
        await Promise.race([isDecided, result.then(() => undefined, () => undefined)]);
        return { pending: result };
      });
      const res = await pending;
      if (!res.ok) {
        if (attempt < MAX_COMMIT_ATTEMPTS) {
          // another replica took the counter: back off a little, with jitter, before re-reading
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 10 * attempt)));
          continue;
        }
        throw new CoordinatorError('STATE_CONCURRENT_UPDATE', `activation of '${req.workload}' conflicted with concurrent activations ${attempt} times; retry`);
      }
      return finish(deps, m, req, instanceId, instanceSecrets, leaf, claims, renewed);
    } finally {
      if (reservedId !== undefined) deps.slots.release(req.workload, reservedId);
    }
  }
}

/** The answer for a committed activation: certificate, chain and the rendered templates. */
function finish(
  deps: ActivationDeps,
  m: ActiveManifest,
  req: ActivateRequest,
  instanceId: string,
  instanceSecrets: Readonly<Record<string, StoredSecret>>,
  leaf: IssuedLeaf,
  claims: WorkloadClaims,
  renewed: boolean,
): ActivateResult {
  const selfKeyPlaceholder = `cloister-self-key-${toHex(deps.random.bytes(16))}`;
  const selfPem = { cert: leaf.chainPem, key: selfKeyPlaceholder, ca: m.ca.root.certPem };
  const rendered = renderWorkload(m, req.workload, instanceId, instanceSecrets, selfPem);
  return {
    workload: req.workload,
    instanceId,
    certificatePem: leaf.certPem,
    chainPem: [m.ca.intermediate.certPem, m.ca.root.certPem],
    expiresAt: leaf.notAfter,
    ...rendered,
    selfKeyPlaceholder,
    manifestHash: m.hash,
    claims,
    renewed,
  };
}

/** Renders the workload's files, env and argv from the manifest templates. */
function renderWorkload(
  m: ActiveManifest,
  workloadName: string,
  instanceId: string,
  instanceSecrets: Readonly<Record<string, StoredSecret>>,
  self: { cert: string; key: string; ca: string },
): { files: Map<string, Uint8Array>; env: Record<string, string>; argv: string[] } {
  const w = m.manifest.workloads[workloadName]!;
  const secrets: Record<string, SecretMaterial | undefined> = {};
  for (const name of Object.keys(m.manifest.secrets)) {
    const s = instanceSecrets[name] ?? m.userSecrets[name] ?? m.sharedSecrets[name];
    secrets[name] = s === undefined ? undefined : toMaterial(s);
  }
  const ctx = { workload: { name: workloadName }, instance: { id: instanceId }, self, secrets };
  const files = new Map<string, Uint8Array>();
  for (const [path, t] of Object.entries(w.files)) files.set(path, renderTemplate(t, ctx));
  const env: Record<string, string> = {};
  for (const [k, t] of Object.entries(w.env)) env[k] = dec.decode(renderTemplate(t, ctx));
  const argv = w.argv.map((t) => dec.decode(renderTemplate(t, ctx)));
  return { files, env, argv };
}

