import { resolve } from 'node:path';
import { manifestHash, parseManifest, validateManifest, type Manifest } from '../../../manifest/index.js';

/**
 * Turns examples/demo/manifest.yaml into the manifest the demo sets (the file's header says
 * the same): each package's measurement is replaced by the real measurement of its program,
 * and every path under DEMO_PATH_PREFIX (file names, argv and env values) moves under the
 * demo's directory. The result is validated again, so it is a manifest like any other.
 */
export const DEMO_PATH_PREFIX = '/cloister-demo/';
export const DEMO_WORKLOADS = ['db', 'api', 'client'] as const;
export type DemoWorkload = (typeof DEMO_WORKLOADS)[number];

export interface RenderedDemoManifest {
  readonly manifest: Manifest;
  /** the JSON text the demo sets (and writes to <dir>/manifest.json) */
  readonly text: string;
  readonly hash: string;
}

export function renderDemoManifest(yamlText: string, o: { readonly measurements: Readonly<Record<string, string>>; readonly root: string }): RenderedDemoManifest {
  const root = resolve(o.root);
  const move = (s: string): string => (s.startsWith(DEMO_PATH_PREFIX) ? `${root}/${s.slice(DEMO_PATH_PREFIX.length)}` : s);
  const parsed = parseManifest(yamlText, 'yaml');
  const m = JSON.parse(JSON.stringify(parsed)) as {
    packages: Record<string, { simulated?: { measurements: string[] } }>;
    workloads: Record<string, { files: Record<string, string>; env: Record<string, string>; argv: string[] }>;
  };
  for (const [name, pkg] of Object.entries(m.packages)) {
    const measurement = o.measurements[name];
    if (pkg.simulated === undefined || measurement === undefined) throw new RangeError(`demo manifest: no simulated measurement for package '${name}'`);
    pkg.simulated.measurements = [measurement];
  }
  for (const w of Object.values(m.workloads)) {
    w.files = Object.fromEntries(Object.entries(w.files).map(([path, t]) => [move(path), t]));
    w.env = Object.fromEntries(Object.entries(w.env).map(([k, v]) => [k, move(v)]));
    w.argv = w.argv.map(move);
  }
  const manifest = validateManifest(m);
  return { manifest, text: `${JSON.stringify(manifest, null, 2)}\n`, hash: manifestHash(manifest) };
}
