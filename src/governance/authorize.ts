import { SCOPED_ACTIONS, resourceMatches, type Action } from './actions.js';
import { GovernanceError } from './errors.js';
import type { GovernanceModel } from './schema.js';

/** Who is calling, as established by the coordinator's authentication (mTLS or signed request). */
export type Principal =
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'workload'; readonly name: string; readonly instanceId: string }
  | { readonly kind: 'anonymous' };

export type Decision =
  | { readonly allow: true; readonly role: string; readonly reason: string }
  | { readonly allow: false; readonly reason: string };

/**
 * The role check behind every user endpoint. Pure and total: it returns a decision with a
 * reason rather than throwing, so an authorization matrix can be asserted cell by cell.
 * - Anonymous callers hold no role; public endpoints (health, status, attestation) simply do
 *   not call authorize.
 * - Workloads act through their manifest entry (secrets arrive by templates on activation), not
 *   through roles: a workload certificate never unlocks a user endpoint.
 * - A user is allowed when some role lists them and grants the action; for scoped actions the
 *   permission must cover the resource (no resources = all). Roles are checked in name order so
 *   the reported role is deterministic.
 */
export function authorize(model: GovernanceModel, principal: Principal, action: Action, resource?: string): Decision {
  if (principal.kind === 'anonymous') return { allow: false, reason: `anonymous callers may not ${action}: authenticate with a user certificate or signed request` };
  if (principal.kind === 'workload') {
    return { allow: false, reason: `workload ${principal.name}/${principal.instanceId} may not ${action}: workloads act through their manifest entry, not roles` };
  }
  if (model.users[principal.name] === undefined) return { allow: false, reason: `user '${principal.name}' is not declared in the manifest` };
  const scoped = SCOPED_ACTIONS[action] !== undefined;
  for (const roleName of Object.keys(model.roles).sort()) {
    const role = model.roles[roleName]!;
    if (!role.users.includes(principal.name)) continue;
    for (const p of role.permissions) {
      if (p.action !== action) continue;
      if (!scoped || p.resources === undefined) return { allow: true, role: roleName, reason: `role ${roleName} grants ${action}` };
      if (resource !== undefined && p.resources.some((pat) => resourceMatches(pat, resource))) {
        return { allow: true, role: roleName, reason: `role ${roleName} grants ${action} on ${resource}` };
      }
    }
  }
  const on = scoped ? (resource === undefined ? ' on every resource' : ` on ${resource}`) : '';
  return { allow: false, reason: `user '${principal.name}' has no role granting ${action}${on}` };
}

/** authorize, throwing GOVERNANCE_NOT_AUTHORIZED (detail: action, resource, reason) on deny. */
export function requireAuthorized(model: GovernanceModel, principal: Principal, action: Action, resource?: string): { role: string } {
  const d = authorize(model, principal, action, resource);
  if (!d.allow) {
    throw new GovernanceError('GOVERNANCE_NOT_AUTHORIZED', `not authorized: ${d.reason}`, { detail: { action, resource, reason: d.reason } });
  }
  return { role: d.role };
}
