import { K8sError } from './errors.js';
import { ANNOTATION_COMMAND, LAUNCHER_DIR, LAUNCHER_PATH, LAUNCHER_VOLUME } from './names.js';
import type { Container } from './pod_shape.js';
import type { ImageEntrypoint } from './registry/client.js';

/**
 * Turns the workload container into `cloister-launcher run -- <original command + args>`.
 * Kubernetes runs `command` (else the image ENTRYPOINT) with `args` (else the image CMD, but
 * only when `command` is not given). So the base is, in this order: the container's `command`;
 * the `cloister.dev/command` annotation (the entrypoint, followed by `args` or nothing); the
 * image configuration read from the registry (admission.ts), which follows the same rules as
 * the runtime. Without any of them the pod is denied rather than started unattested.
 * Applying this to an already wrapped container changes nothing.
 */
export function wrapCommand(c: Container, annotations: Readonly<Record<string, string>>, image?: ImageEntrypoint): void {
  if (c.command?.[0] === LAUNCHER_PATH) return;
  let full: string[];
  if (c.command !== undefined && c.command.length > 0) full = [...c.command, ...(c.args ?? [])];
  else if (annotations[ANNOTATION_COMMAND] !== undefined || image === undefined) full = [...annotatedCommand(annotations, c), ...(c.args ?? [])];
  else {
    full = [...image.entrypoint, ...(c.args ?? image.cmd)];
    if (full.length === 0) throw new K8sError('K8S_ENTRYPOINT_UNRESOLVED', `container '${c.name}': image '${String(c.image)}' (${image.digest}) has neither ENTRYPOINT nor CMD, and the container gives no command`);
  }
  c.command = [LAUNCHER_PATH, 'run', '--', ...full];
  delete c.args;
}

function annotatedCommand(annotations: Readonly<Record<string, string>>, c: Container): string[] {
  const text = annotations[ANNOTATION_COMMAND];
  if (text === undefined) {
    throw new K8sError(
      'K8S_COMMAND_UNKNOWN',
      `container '${c.name}' has no command, the pod has no ${ANNOTATION_COMMAND} annotation, and the webhook did not read the image's entrypoint (it does for images pinned by digest, or for all with --resolve-entrypoints): set the entrypoint there as a JSON array (e.g. ["/app/server"])`,
      { detail: { container: c.name, image: typeof c.image === 'string' ? c.image : null } },
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string') || v[0] === '') {
    throw new K8sError('K8S_ANNOTATION_INVALID', `${ANNOTATION_COMMAND} must be a non-empty JSON array of strings, got ${JSON.stringify(text).slice(0, 120)}`);
  }
  return v as string[];
}

/** Sets each variable (replacing an existing entry of that name in place, else appending). */
export function setEnv(c: Container, vars: ReadonlyArray<{ name: string } & Record<string, unknown>>): void {
  const env = c.env ?? [];
  for (const v of vars) {
    const i = env.findIndex((e) => e.name === v.name);
    if (i >= 0) env[i] = { ...v };
    else env.push({ ...v });
  }
  c.env = env;
}

export function mountLauncher(c: Container, readOnly: boolean): void {
  const mounts = c.volumeMounts ?? [];
  const mount = { name: LAUNCHER_VOLUME, mountPath: LAUNCHER_DIR, readOnly };
  const i = mounts.findIndex((m) => m.name === LAUNCHER_VOLUME || m.mountPath === LAUNCHER_DIR);
  if (i >= 0) mounts[i] = mount;
  else mounts.push(mount);
  c.volumeMounts = mounts;
}

/** Sets resource limits, and aligns a request the container already states for the same resource. */
export function setLimits(c: Container, limits: Readonly<Record<string, string>>): void {
  const r = c.resources ?? {};
  r.limits = { ...(r.limits ?? {}), ...limits };
  if (r.requests !== undefined) for (const k of Object.keys(limits)) if (Object.hasOwn(r.requests, k)) r.requests[k] = limits[k]!;
  c.resources = r;
}
