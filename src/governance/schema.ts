import { X509Certificate, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { ACTIONS, APPROVE_RESOURCES, SCOPED_ACTIONS, type Action } from './actions.js';
import { GovernanceError } from './errors.js';
import { checkUserKey } from './keys.js';

/**
 * The governance part of the manifest (zod v4): who the users are, what their roles allow,
 * how many approvals a change needs, and who holds recovery keys. `governanceShape` is meant to
 * be spread into the manifest's strict object; `governanceIssues` is its cross-reference check
 * (users named by roles exist, thresholds are reachable), for the manifest's crossref step.
 * Every object is strict: a misspelt key is an error, never ignored.
 */

const name = (what: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, { error: `a ${what} name is 1-64 of A-Z a-z 0-9 _ . @ - and starts with a letter or digit` });

const pemText = (label: string) =>
  z.string().refine((s) => s.includes(`-----BEGIN ${label}-----`), { error: `want a PEM block '-----BEGIN ${label}-----'` });

const resourcePattern = z
  .string()
  .regex(/^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}\*?|\*)$/, { error: "a resource is a name, or a prefix followed by '*' ('*' alone: all)" });

const userSchema = z
  .strictObject({ certificate: pemText('CERTIFICATE').optional(), publicKey: pemText('PUBLIC KEY').optional() })
  .superRefine((u, ctx) => {
    if ((u.certificate === undefined) === (u.publicKey === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a user has exactly one of certificate or publicKey' });
      return;
    }
    try {
      const key = u.certificate !== undefined ? new X509Certificate(u.certificate).publicKey : createPublicKey(u.publicKey!);
      checkUserKey(key, 'user');
    } catch (e) {
      const field = u.certificate !== undefined ? 'certificate' : 'publicKey';
      ctx.addIssue({ code: 'custom', path: [field], message: e instanceof GovernanceError ? e.message : `not a parsable ${field}` });
    }
  });

const permissionSchema = z
  .strictObject({ action: z.enum(ACTIONS), resources: z.array(resourcePattern).min(1).optional() })
  .superRefine((p, ctx) => {
    if (p.resources === undefined) return;
    const scope = SCOPED_ACTIONS[p.action as Action];
    if (scope === undefined) {
      ctx.addIssue({ code: 'custom', path: ['resources'], message: `action ${p.action} takes no resources (scoped actions: ${Object.keys(SCOPED_ACTIONS).join(', ')})` });
    } else if (p.action === 'approve') {
      p.resources.forEach((r, i) => {
        if (!(APPROVE_RESOURCES as readonly string[]).includes(r)) ctx.addIssue({ code: 'custom', path: ['resources', i], message: `approve resources are ${APPROVE_RESOURCES.join(' or ')}, got '${r}'` });
      });
    }
    if (new Set(p.resources).size !== p.resources.length) ctx.addIssue({ code: 'custom', path: ['resources'], message: 'duplicate resource' });
  });

const roleSchema = z.strictObject({ users: z.array(name('user')).min(1), permissions: z.array(permissionSchema).min(1) });

const approvalsSchema = z.strictObject({
  /** Approvals needed for any change that is not only a package security-version raise. */
  manifestUpdate: z.int().min(1).max(255).default(1),
  /** Approvals needed when every change raises minimum security versions of packages. */
  packageUpdate: z.int().min(1).max(255).default(1),
});

const recoveryKeyPem = pemText('PUBLIC KEY').superRefine((pem, ctx) => {
  try {
    const k = createPublicKey(pem);
    const ok = k.asymmetricKeyType === 'x25519' || (k.asymmetricKeyType === 'rsa' && (k.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
    if (!ok) ctx.addIssue({ code: 'custom', message: `a recovery key is RSA >= 2048 bits (OAEP) or X25519, got ${String(k.asymmetricKeyType)}` });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a parsable public key' });
  }
});

const recoverySchema = z.strictObject({ threshold: z.int().min(1).max(255), keys: z.record(name('recovery key'), recoveryKeyPem) });

export const governanceShape = {
  users: z.record(name('user'), userSchema).default({}),
  roles: z.record(name('role'), roleSchema).default({}),
  approvals: approvalsSchema.prefault({}),
  recovery: recoverySchema.optional(),
};

/**
 * The same fields as they appear in the manifest: all optional and without defaults, so a
 * manifest without governance validates (and hashes) exactly as before governance existed.
 * `governanceOf` turns them into the model (defaults applied, cross-references checked).
 */
export const governanceManifestShape = {
  users: governanceShape.users.unwrap().optional(),
  roles: governanceShape.roles.unwrap().optional(),
  approvals: approvalsSchema.optional(),
  recovery: recoverySchema.optional(),
};

const governanceFields = z.strictObject(governanceShape);

export const governanceSchema = governanceFields.superRefine((g, ctx) => {
  for (const issue of governanceIssues(g)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

export type GovernanceModel = z.output<typeof governanceSchema>;
export type GovernanceInput = z.input<typeof governanceSchema>;

export interface GovernanceIssue {
  readonly path: Array<string | number>;
  readonly message: string;
}

/** Cross-references: role members are declared, thresholds can be met by the people who may approve. */
export function governanceIssues(g: GovernanceModel, names?: { packages?: readonly string[]; secrets?: readonly string[] }): GovernanceIssue[] {
  const out: GovernanceIssue[] = [];
  for (const [role, r] of Object.entries(g.roles)) {
    r.users.forEach((u, i) => {
      if (g.users[u] === undefined) out.push({ path: ['roles', role, 'users', i], message: `user '${u}' is not declared in users` });
    });
    r.permissions.forEach((p, i) => {
      const known = p.action === 'package.update' ? names?.packages : p.action.startsWith('secret.') ? names?.secrets : undefined;
      p.resources?.forEach((res, j) => {
        if (known !== undefined && !res.endsWith('*') && !known.includes(res)) {
          out.push({ path: ['roles', role, 'permissions', i, 'resources', j], message: `'${res}' is not a declared ${SCOPED_ACTIONS[p.action]}` });
        }
      });
    });
  }
  // A threshold nobody can reach would freeze the manifest forever; refuse it up front.
  // A manifest without users has no updates at all (nobody can propose), so nothing to check.
  if (Object.keys(g.users).length > 0) {
    for (const [field, kind] of [['manifestUpdate', 'manifest'], ['packageUpdate', 'package']] as const) {
      const approvers = approversFor(g, kind).length;
      if (g.approvals[field] > approvers) {
        out.push({ path: ['approvals', field], message: `needs ${g.approvals[field]} approvals but only ${approvers} declared user(s) may approve ${kind} changes` });
      }
    }
  }
  if (g.recovery !== undefined) {
    const n = Object.keys(g.recovery.keys).length;
    if (g.recovery.threshold > n) out.push({ path: ['recovery', 'threshold'], message: `threshold ${g.recovery.threshold} exceeds the ${n} recovery key(s)` });
  }
  return out;
}

/** Declared users holding an 'approve' permission that covers `kind`, sorted. */
export function approversFor(g: GovernanceModel, kind: 'manifest' | 'package'): string[] {
  const out = new Set<string>();
  for (const r of Object.values(g.roles)) {
    const grants = r.permissions.some((p) => p.action === 'approve' && (p.resources === undefined || p.resources.includes(kind)));
    if (grants) for (const u of r.users) if (g.users[u] !== undefined) out.add(u);
  }
  return [...out].sort();
}

/**
 * The governance model of a manifest whose fields were validated by the manifest schema:
 * defaults applied, cross-references NOT checked here (the manifest's crossref step reports
 * them with governanceIssues, together with every other manifest problem).
 */
export function governanceOf(m: { users?: unknown; roles?: unknown; approvals?: unknown; recovery?: unknown }): GovernanceModel {
  const input = { users: m.users ?? {}, roles: m.roles ?? {}, approvals: m.approvals ?? {}, ...(m.recovery === undefined ? {} : { recovery: m.recovery }) };
  const r = governanceFields.safeParse(input);
  if (r.success) return r.data;
  throw new GovernanceError('GOVERNANCE_INVALID', `governance: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
}

/** Validates a governance section on its own; GOVERNANCE_INVALID with detail.issues otherwise. */
export function parseGovernance(input: unknown): GovernanceModel {
  const r = governanceSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message }));
  throw new GovernanceError('GOVERNANCE_INVALID', `governance: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, { detail: { issues } });
}
