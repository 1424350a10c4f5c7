import { governanceIssues, governanceOf } from '../governance/index.js';
import type { ManifestIssue } from './errors.js';
import type { Manifest } from './schema.js';
import { formatsFor, templateReferences } from './template.js';

/**
 * Checks what a schema cannot see field by field: names that refer to other parts of the
 * manifest. Runs on the schema's output (defaults applied) and returns every problem.
 */
export function crossReferenceIssues(m: Manifest): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const add = (path: readonly (string | number)[], message: string): void => {
    issues.push({ path: path.join('.'), message });
  };

  if (Object.keys(m.workloads).length === 0) add(['workloads'], 'declare at least one workload');

  // governance: the fields validated one by one above; here, who refers to whom and reachable thresholds
  for (const i of governanceIssues(governanceOf(m), { packages: Object.keys(m.packages), secrets: Object.keys(m.secrets) })) add(i.path, i.message);

  for (const [name, s] of Object.entries(m.secrets)) {
    // A user secret is set once through the API for all instances: there is nothing to make per instance.
    if (s.type === 'user' && s.scope === 'per-instance') add(['secrets', name, 'scope'], "a user secret is set through the API and cannot be 'per-instance'");
  }

  for (const [wname, w] of Object.entries(m.workloads)) {
    if (!Object.hasOwn(m.packages, w.package)) {
      add(['workloads', wname, 'package'], `package '${w.package}' is not declared (declared: ${Object.keys(m.packages).join(', ') || 'none'})`);
    }
    const templates: Array<{ path: (string | number)[]; text: string; textOnly: boolean }> = [
      ...Object.entries(w.files).map(([p, t]) => ({ path: ['workloads', wname, 'files', p], text: t, textOnly: false })),
      ...Object.entries(w.env).map(([k, t]) => ({ path: ['workloads', wname, 'env', k], text: t, textOnly: true })),
      ...w.argv.map((t, i) => ({ path: ['workloads', wname, 'argv', i], text: t, textOnly: true })),
    ];
    for (const t of templates) {
      for (const ref of templateReferences(t.text)) {
        if (ref.kind === 'self' && ref.format === 'raw' && t.textOnly) {
          add(t.path, `self.${ref.field}.raw is binary DER and cannot go into an environment variable or argument; use .hex or .base64`);
        }
        if (ref.kind !== 'secret') continue;
        const secret = Object.hasOwn(m.secrets, ref.name) ? m.secrets[ref.name] : undefined;
        if (secret === undefined) {
          add(t.path, `references secret '${ref.name}', which is not declared in secrets`);
          continue;
        }
        const allowed = formatsFor(secret.type);
        if (!allowed.includes(ref.format)) {
          add(t.path, `secrets.${ref.name}.${ref.format}: a ${secret.type} secret supports ${allowed.map((f) => `.${f}`).join(', ')}`);
        } else if (t.textOnly && ref.format === 'raw' && secret.type !== 'user') {
          // Generated keys are random bytes and almost surely contain NUL, which exec truncates.
          add(t.path, `secrets.${ref.name}.raw is binary and cannot go into an environment variable or argument; use .hex or .base64`);
        }
      }
    }
  }

  const seen = new Map<string, number>();
  m.connections.forEach((c, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!Object.hasOwn(m.workloads, c[end])) add(['connections', i, end], `workload '${c[end]}' is not declared`);
    }
    const key = `${c.from}\u0000${c.to}`;
    const first = seen.get(key);
    if (first !== undefined) add(['connections', i], `duplicate of connection ${first} (${c.from} -> ${c.to})`);
    else seen.set(key, i);
  });

  return issues;
}
