/**
 * What a role may be granted. Actions marked scoped take resources (names, or a prefix ending
 * in '*'); a permission without resources covers every resource of that action. Resources on
 * an unscoped action are refused by the schema rather than ignored.
 */
export const ACTIONS = ['manifest.update', 'package.update', 'secret.read', 'secret.write', 'approve', 'audit.read', 'recover', 'status.read'] as const;
export type Action = (typeof ACTIONS)[number];

/** Actions whose permissions may be limited to resources, and what the resource names. */
export const SCOPED_ACTIONS: Readonly<Partial<Record<Action, string>>> = {
  'package.update': 'package name',
  'secret.read': 'secret name',
  'secret.write': 'secret name',
  approve: "change kind ('manifest' or 'package')",
};

/** The change kinds an `approve` permission may be limited to. */
export const APPROVE_RESOURCES = ['manifest', 'package'] as const;

/** True when `resource` is matched by `pattern`: the exact name, or a prefix followed by '*'. */
export function resourceMatches(pattern: string, resource: string): boolean {
  return pattern.endsWith('*') ? resource.startsWith(pattern.slice(0, -1)) : pattern === resource;
}
