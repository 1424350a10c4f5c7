import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/jcs.js';
import { GovernanceError } from './errors.js';

/**
 * A manifest update proposal and its hash, the value approvers sign. The proposal names the
 * manifest hash it replaces, so an approval can never be replayed onto another base: once any
 * update applies, every older proposal is stale.
 *
 *   proposalHash = SHA-256("cloister/proposal/v1" || 0x00 ||
 *                          JCS({ version: 1, previousManifestHash, manifestHash }))
 *
 * Only the two hashes are bound (not the manifest text): the manifest hash already commits to
 * the whole validated manifest, and approvers recompute it from the file they reviewed.
 */
export const PROPOSAL_LABEL = 'cloister/proposal/v1';

export interface Proposal {
  /** Lowercase hex manifestHash of the manifest in force when the proposal was made. */
  readonly previousManifestHash: string;
  /** Lowercase hex manifestHash of the proposed (validated) manifest. */
  readonly manifestHash: string;
}

const HEX32 = /^[0-9a-f]{64}$/;

export function proposalHashOf(previousManifestHash: string, nextManifestHash: string): string {
  for (const [what, h] of [['previousManifestHash', previousManifestHash], ['manifestHash', nextManifestHash]] as const) {
    if (typeof h !== 'string' || !HEX32.test(h)) throw new GovernanceError('GOVERNANCE_APPROVAL_MALFORMED', `proposal ${what}: got ${JSON.stringify(h)}, want 64 lowercase hex digits`);
  }
  const body = canonicalJson({ version: 1, previousManifestHash, manifestHash: nextManifestHash });
  return createHash('sha256').update(PROPOSAL_LABEL, 'ascii').update(Buffer.of(0)).update(body, 'utf8').digest('hex');
}

export function proposalHash(p: Proposal): string {
  return proposalHashOf(p.previousManifestHash, p.manifestHash);
}

/** Throws GOVERNANCE_PROPOSAL_STALE unless the proposal replaces the current manifest, _EMPTY if it changes nothing. */
export function checkProposalCurrent(p: Proposal, currentManifestHash: string): void {
  if (p.previousManifestHash !== currentManifestHash) {
    throw new GovernanceError('GOVERNANCE_PROPOSAL_STALE', `proposal replaces manifest ${p.previousManifestHash}, but the current manifest is ${currentManifestHash}`, {
      detail: { previousManifestHash: p.previousManifestHash, currentManifestHash },
    });
  }
  if (p.manifestHash === currentManifestHash) {
    throw new GovernanceError('GOVERNANCE_PROPOSAL_EMPTY', `proposal manifest ${currentManifestHash} is the current manifest`);
  }
}
