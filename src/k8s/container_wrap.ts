import { K8sError } from './errors.js';
import { ANNOTATION_COMMAND, LAUNCHER_DIR, LAUNCHER_PATH, LAUNCHER_VOLUME } from './names.js';
import type { Container } from './pod_shape.js';
import type { ImageEntrypoint } from './registry/client.js';

/**
 * How the launcher is started: `[LAUNCHER_PATH]` directly (confidential VMs, simulation), or
 * `[loader, manifest]` for SGX, where the gramine evidence provider works only inside the
 * enclave, so Gramine must start the launcher (the Gramine manifest's `libos.entrypoint` is
 * /cloister/cloister-launcher, docs/kubernetes.md) and the launcher then starts the app.
 */
export type LauncherPrefix = readonly string[];

/**
 * Whether the container was already wrapped with this prefix: the command starts with
 * `<prefix> run --`, and, for a loader prefix (whose first word an image could use on its own),
 * the container also mounts the launcher volume, which only the webhook adds.
 */
export function isWrapped(c: Container, prefix: LauncherPrefix): boolean {
  const cmd = c.command ?? [];
  const head = [...prefix, 'run', '--'];
  if (cmd.length < head.length || !head.every((w, i) => cmd[i] === w)) return false;
  return prefix[0] === LAUNCHER_PATH || (c.volumeMounts ?? []).some((m) => m.name === LAUNCHER_VOLUME && m.mountPath === LAUNCHER_DIR);
}

/**
 * Turns the workload container into `<prefix> run -- <original command + args>`.
 * Kubernetes runs `command` (else the image ENTRYPOINT) with `args` (else the image CMD, but
 * only when `command` is not given). So the base is, in this order: the container's `command`;
 * the `cloister.dev/command` annotation (the entrypoint, followed by `args` or nothing); the
 * image configuration read from the registry (admission.ts), which follows the same rules as
 * the runtime. Without any of them the pod is denied rather than started unattested.
 * Applying this to an already wrapped container changes nothing.
 */
export function wrapCommand(c: Container, prefix: LauncherPrefix, annotations: Readonly<Record<string, string>>, image?: ImageEntrypoint): void {
  if (isWrapped(c, prefix)) return;
  let full: string[];
  if (c.command !== undefined && c.command.length > 0) full = [...c.command, ...(c.args ?? [])];
  else if (annotations[ANNOTATION_COMMAND] !== undefined || image === undefined) full = [...annotatedCommand(annotations, c), ...(c.args ?? [])];
  else {
    full = [...image.entrypoint, ...(c.args ?? image.cmd)];
    if (full.length === 0) throw new K8sError('K8S_ENTRYPOINT_UNRESOLVED', `container '${c.name}': image '${String(c.image)}' (${image.digest}) has neither ENTRYPOINT nor CMD, and the container gives no command`);
  }
  c.command = [...prefix, 'run', '--', ...full];
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

/**
 * What a container needs for configfs-tsm inside a confidential VM: producing a report is a
 * mkdir under /sys/kernel/config/tsm/report, root-owned configfs that an unprivileged
 * container does not see. Privileged under Kata means inside the guest VM (Kata keeps host
 * devices out, `privileged_without_host_devices`); the VM is the isolation boundary.
 */
export const TSM_ACCESS_SECURITY = { privileged: true, runAsUser: 0, runAsGroup: 0, runAsNonRoot: false } as const;

/** Sets each field of `fields` in the container's securityContext; other fields it has are kept. */
export function setSecurityContext(c: Container, fields: Readonly<Record<string, unknown>>): void {
  const current = c['securityContext'];
  const base = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
  c['securityContext'] = { ...base, ...structuredClone(fields) };
}

/** Sets resource limits, and aligns a request the container already states for the same resource. */
export function setLimits(c: Container, limits: Readonly<Record<string, string>>): void {
  const r = c.resources ?? {};
  r.limits = { ...(r.limits ?? {}), ...limits };
  if (r.requests !== undefined) for (const k of Object.keys(limits)) if (Object.hasOwn(r.requests, k)) r.requests[k] = limits[k]!;
  c.resources = r;
}
