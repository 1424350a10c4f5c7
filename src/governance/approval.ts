import type { KeyObject } from 'node:crypto';
import { authorize } from './authorize.js';
import type { ChangeKind } from './change.js';
import { requiredApprovals } from './change.js';
import { GovernanceError } from './errors.js';
import { keyFromPem, signAsUser, verifyUserSignature } from './keys.js';
import type { GovernanceModel } from './schema.js';

/**
 * Approvals: a user's signature over a proposal hash. The signed message is
 * "cloister/approval/v1" || 0x00 || the 32 proposal-hash bytes, so an approval cannot be
 * mistaken for any other signature the same user key makes (e.g. a signed request).
 */
export const APPROVAL_LABEL = 'cloister/approval/v1';

export interface Approval {
  readonly user: string;
  /** Lowercase hex signature (ECDSA raw r||s, Ed25519, or RSA-PSS). */
  readonly signature: string;
}

export function approvalMessage(proposalHash: string): Uint8Array {
  if (typeof proposalHash !== 'string' || !/^[0-9a-f]{64}$/.test(proposalHash)) {
    throw new GovernanceError('GOVERNANCE_APPROVAL_MALFORMED', `proposal hash: got ${JSON.stringify(proposalHash)}, want 64 lowercase hex digits`);
  }
  return new Uint8Array(Buffer.concat([Buffer.from(APPROVAL_LABEL, 'ascii'), Buffer.of(0), Buffer.from(proposalHash, 'hex')]));
}

/** Signs an approval (CLI `cloister manifest approve HASH --key`, tests). */
export function signApproval(user: string, privateKey: KeyObject, proposalHash: string): Approval {
  return { user, signature: Buffer.from(signAsUser(privateKey, approvalMessage(proposalHash))).toString('hex') };
}

/**
 * Checks one approval's signature under the user's declared key (certificate validity at `now`).
 * Whether the user may approve is tally's question.
 */
export function verifyApproval(model: GovernanceModel, proposalHash: string, approval: Approval, ctx: { now: Date }): void {
  const msg = approvalMessage(proposalHash);
  const entry = model.users[approval.user];
  if (entry === undefined) throw new GovernanceError('GOVERNANCE_USER_UNKNOWN', `approval by '${approval.user}': not a declared user`, { detail: { user: approval.user } });
  if (typeof approval.signature !== 'string' || !/^([0-9a-f]{2})+$/.test(approval.signature)) {
    throw new GovernanceError('GOVERNANCE_APPROVAL_MALFORMED', `approval by '${approval.user}': signature is not lowercase hex`, { detail: { user: approval.user } });
  }
  const key = keyFromPem(entry, `user '${approval.user}'`, ctx.now);
  if (!verifyUserSignature(key, msg, Buffer.from(approval.signature, 'hex'))) {
    throw new GovernanceError('GOVERNANCE_APPROVAL_SIGNATURE_INVALID', `approval by '${approval.user}': signature over proposal ${proposalHash} does not verify`, {
      detail: { user: approval.user },
    });
  }
}

export interface Tally {
  /** Distinct users whose approval verified and who may approve this kind of change, sorted. */
  readonly approvedBy: readonly string[];
  readonly needed: number;
  readonly reached: boolean;
  /** Approvals that did not count, with the code of why (bad signature, not an approver, ...). */
  readonly rejected: ReadonlyArray<{ readonly user: string; readonly code: string; readonly reason: string }>;
}

/**
 * Counts approvals of one proposal under the governance IN FORCE (the current manifest's, so a
 * proposal cannot lower its own threshold). Each user counts once however often they sign; a
 * user counts only with a verifying signature and an 'approve' permission covering the change.
 * The proposal must not be a no-op (change.kind 'none' needs no approval and is refused).
 */
export function tally(model: GovernanceModel, proposal: { hash: string; change: ChangeKind }, approvals: readonly Approval[], ctx: { now: Date }): Tally {
  if (proposal.change.kind === 'none') throw new GovernanceError('GOVERNANCE_PROPOSAL_EMPTY', 'proposal changes nothing, there is nothing to approve');
  approvalMessage(proposal.hash);
  const kind = proposal.change.kind === 'package-update' ? 'package' : 'manifest';
  const approved = new Set<string>();
  const rejected: Array<{ user: string; code: string; reason: string }> = [];
  for (const a of approvals) {
    if (approved.has(a.user)) continue;
    try {
      verifyApproval(model, proposal.hash, a, ctx);
    } catch (e) {
      if (!(e instanceof GovernanceError)) throw e;
      rejected.push({ user: String(a.user), code: e.code, reason: e.message });
      continue;
    }
    const d = authorize(model, { kind: 'user', name: a.user }, 'approve', kind);
    if (!d.allow) {
      rejected.push({ user: a.user, code: 'GOVERNANCE_NOT_AUTHORIZED', reason: d.reason });
      continue;
    }
    approved.add(a.user);
  }
  const needed = requiredApprovals(model.approvals, proposal.change);
  const approvedBy = [...approved].sort();
  return { approvedBy, needed, reached: approvedBy.length >= needed, rejected };
}
