import type { KeyObject } from 'node:crypto';
import type { AuditHead, AuditRecord } from '../audit/index.js';
import type { Clock, Random } from '../common/clock.js';
import {
  approvalResultSchema,
  auditPageSchema,
  historySchema,
  proposalListSchema,
  proposalSchema,
  proposalWithManifestSchema,
  recoverResultSchema,
  recoveryStatusSchema,
  secretGetSchema,
  secretSetSchema,
  type ApprovalResult,
  type HistoryEntry,
  type ProposalView,
  type ProposalWithManifest,
  type RecoverResult,
  type RecoveryStatus,
} from './governance_responses.js';
import { endpoint, parseCoordinatorUrl, request, type HttpMethod } from './https.js';
import { decodeBase64, manifestGetResponseSchema, parseResponse } from './responses.js';
import { signedRequestHeader } from './user_identity.js';

/**
 * Typed calls for the coordinator's governance endpoints (docs/governance.md, issue #6): proposals,
 * approvals, history, audit log, user secrets and recovery. Every call goes over TLS pinned to
 * the coordinator's ATTESTED root CA (attest first, then build the client) and checks the
 * answer's shape with zod before anything uses it. Users authenticate with an mTLS client
 * certificate or a signed request (Cloister-Signature header); recovery calls are public.
 */
export type UserAuth =
  | { readonly kind: 'mtls'; readonly certPem: string; readonly keyPem: string }
  | { readonly kind: 'signed'; readonly user: string; readonly privateKey: KeyObject }
  | { readonly kind: 'anonymous' };

export interface GovernanceClientOptions {
  readonly coordinatorUrl: string;
  /** the root CA learned through attestation (AttestedCoordinator.rootCaPem) */
  readonly rootCaPem: string;
  readonly auth: UserAuth;
  /** signing time of signed requests */
  readonly clock: Clock;
  /** nonces of signed requests */
  readonly random: Random;
  readonly timeoutMs?: number;
}

export interface AuditPage {
  readonly entries: readonly AuditRecord[];
  /** the coordinator's head when it answered */
  readonly head: AuditHead;
}

export interface GovernanceClient {
  /** the manifest in force (public endpoint); callers check its hash against the attested one */
  manifest(): Promise<{ manifest: string; manifestHash: string }>;
  propose(manifestText: string): Promise<ProposalView>;
  proposals(): Promise<ProposalView[]>;
  proposal(proposalHash: string): Promise<ProposalWithManifest>;
  /** posts the caller's signature (lowercase hex) over the approval message of the proposal */
  approve(proposalHash: string, signatureHex: string): Promise<ApprovalResult>;
  history(): Promise<HistoryEntry[]>;
  auditPage(from: number, limit: number): Promise<AuditPage>;
  /** every entry from seq 1, page by page; the head is the last page's */
  auditLog(pageSize?: number): Promise<AuditPage>;
  setSecret(name: string, value: Uint8Array): Promise<{ name: string; size: number }>;
  getSecret(name: string): Promise<{ name: string; value: Uint8Array; setAt: string }>;
  recoveryStatus(): Promise<RecoveryStatus>;
  /** sends a DECRYPTED share (share v1 bytes) */
  submitRecoveryShare(share: Uint8Array): Promise<RecoverResult>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
export const AUDIT_PAGE_SIZE = 1000;

export function governanceClient(o: GovernanceClientOptions): GovernanceClient {
  const base = parseCoordinatorUrl(o.coordinatorUrl);

  async function call(method: HttpMethod, path: string, body: unknown): Promise<unknown> {
    const url = endpoint(base, path);
    let headers: Record<string, string> | undefined;
    if (o.auth.kind === 'signed') {
      // The signature covers the exact bytes request() sends: it serializes with JSON.stringify too.
      const bytes = body === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(JSON.stringify(body), 'utf8'));
      const h = signedRequestHeader({ method, path: `${url.pathname}${url.search}`, body: bytes }, { user: o.auth.user, privateKey: o.auth.privateKey, now: o.clock.now(), random: o.random });
      headers = { [h.name]: h.value };
    }
    const res = await request(method, url, body, {
      ca: o.rootCaPem,
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(o.auth.kind === 'mtls' ? { clientCert: o.auth.certPem, clientKey: o.auth.keyPem } : {}),
      ...(headers === undefined ? {} : { headers }),
    });
    return res.json;
  }
  const seg = encodeURIComponent;

  const client: GovernanceClient = {
    async manifest() {
      return parseResponse(manifestGetResponseSchema, await call('GET', '/api/v1/manifest', undefined), 'manifest get');
    },
    async propose(manifestText) {
      return parseResponse(proposalSchema, await call('POST', '/api/v1/manifest/proposals', { manifest: manifestText }), 'manifest propose');
    },
    async proposals() {
      return parseResponse(proposalListSchema, await call('GET', '/api/v1/manifest/proposals', undefined), 'proposals').proposals;
    },
    async proposal(hash) {
      return parseResponse(proposalWithManifestSchema, await call('GET', `/api/v1/manifest/proposals/${seg(hash)}`, undefined), 'proposal');
    },
    async approve(hash, signature) {
      return parseResponse(approvalResultSchema, await call('POST', `/api/v1/manifest/proposals/${seg(hash)}/approvals`, { signature }), 'approval');
    },
    async history() {
      return parseResponse(historySchema, await call('GET', '/api/v1/manifest/history', undefined), 'manifest history').history;
    },
    async auditPage(from, limit) {
      if (!Number.isSafeInteger(from) || from < 1 || !Number.isSafeInteger(limit) || limit < 1) {
        throw new RangeError(`audit page: from ${from} and limit ${limit} must be positive integers`);
      }
      const p = parseResponse(auditPageSchema, await call('GET', `/api/v1/audit?from=${from}&limit=${limit}`, undefined), 'audit log');
      return { entries: p.entries as AuditRecord[], head: p.head };
    },
    async auditLog(pageSize = AUDIT_PAGE_SIZE) {
      const entries: AuditRecord[] = [];
      let from = 1;
      let head: AuditHead;
      for (;;) {
        const page = await client.auditPage(from, pageSize);
        head = page.head;
        entries.push(...page.entries);
        const last = page.entries[page.entries.length - 1];
        // Stop at the head, on an empty page, or when a page does not advance (the chain check
        // then reports what is wrong with it; a server must not keep us looping).
        if (last === undefined || last.seq >= head.seq || last.seq < from) break;
        from = last.seq + 1;
      }
      return { entries, head };
    },
    async setSecret(name, value) {
      const body = { value: Buffer.from(value).toString('base64') };
      return parseResponse(secretSetSchema, await call('PUT', `/api/v1/secrets/${seg(name)}`, body), 'secret set');
    },
    async getSecret(name) {
      const s = parseResponse(secretGetSchema, await call('GET', `/api/v1/secrets/${seg(name)}`, undefined), 'secret get');
      return { name: s.name, value: decodeBase64(s.value), setAt: s.setAt };
    },
    async recoveryStatus() {
      return parseResponse(recoveryStatusSchema, await call('GET', '/api/v1/recovery', undefined), 'recovery status');
    },
    async submitRecoveryShare(share) {
      return parseResponse(recoverResultSchema, await call('POST', '/api/v1/recover', { share: Buffer.from(share).toString('base64') }), 'recover');
    },
  };
  return client;
}
