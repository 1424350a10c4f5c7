#!/usr/bin/env node
// Builds dist/cloister-launcher: the `cloister` CLI as one self-contained executable (a Node
// single-executable application, https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html)
// so workload images need no Node runtime. Steps: esbuild bundle (CJS: SEA runs CommonJS and its
// `require` reaches only built-in modules) -> SEA preparation blob -> copy of this node binary ->
// postject injects the blob. Usage: npm run build:launcher. docs/launcher.md explains the choices.
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, 'dist', 'launcher');
const bundlePath = join(work, 'cloister-launcher.cjs');
const blobPath = join(work, 'sea-prep.blob');
const configPath = join(work, 'sea-config.json');
export const LAUNCHER_PATH = join(root, 'dist', 'cloister-launcher');
// The fuse string Node's binary carries for SEA (the docs' postject command line uses the same).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const started = Date.now();
const step = (text) => process.stderr.write(`[build:launcher +${((Date.now() - started) / 1000).toFixed(1)}s] ${text}\n`);
const fail = (text) => {
  process.stderr.write(`build:launcher failed: ${text}\n`);
  process.exit(1);
};

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

// src/cli/version.ts reads package.json relative to import.meta.url, which a CJS bundle inside an
// executable does not have: replace that module by its value at build time.
const versionPlugin = {
  name: 'cloister-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]version\.ts$/ }, () => ({
      contents: `/** Inlined by scripts/build-launcher.mjs. */\nexport const VERSION: string = ${JSON.stringify(pkg.version)};\n`,
      loader: 'ts',
    }));
  },
};

await mkdir(work, { recursive: true });
step(`bundling src/cli/main.ts with esbuild (node20, cjs)`);
const result = await build({
  entryPoints: [join(root, 'scripts', 'launcher-entry.ts')],
  outfile: bundlePath,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [versionPlugin],
  // Other modules use import.meta.url to find files next to their own (src/coordinator/main.ts
  // measures its code tree, falling back to the executable). In the executable it names a path
  // INSIDE the executable file (<exe>/cloister-launcher.cjs): siblings of it can never exist, so
  // such lookups fall back instead of picking up whatever lies beside the binary.
  define: { 'import.meta.url': '__cloister_import_meta_url' },
  banner: {
    js: 'var __cloister_import_meta_url = require("node:url").pathToFileURL(require("node:path").join(process.execPath, "cloister-launcher.cjs")).href;',
  },
  legalComments: 'eof',
  sourcemap: false,
  metafile: true,
  logLevel: 'silent',
  // pino: we never configure transports, so its worker-thread transport files are never loaded
  // at run time; everything else (reflect-metadata for @peculiar/x509 included) is bundled.
});
// A remaining import.meta, or a require esbuild could not resolve statically, would only fail
// at run time inside the executable: refuse to build instead.
const fatal = result.warnings.filter((w) => /import\.meta|require|dynamic/i.test(w.text));
for (const w of result.warnings) step(`esbuild warning: ${w.text} (${w.location?.file ?? '?'}:${w.location?.line ?? '?'})`);
if (fatal.length > 0) fail(`${fatal.length} esbuild warning(s) about import.meta or dynamic require (see above)`);
const bundleBytes = (await stat(bundlePath)).size;
step(`bundle ${relative(root, bundlePath)}: ${(bundleBytes / 1048576).toFixed(1)} MiB from ${Object.keys(result.metafile.inputs).length} modules`);

await writeFile(
  configPath,
  JSON.stringify({ main: bundlePath, output: blobPath, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: true }, null, 2),
);
step('writing the SEA preparation blob (node --experimental-sea-config)');
const sea = spawnSync(process.execPath, ['--experimental-sea-config', configPath], { cwd: work, encoding: 'utf8' });
if (sea.status !== 0) fail(`node --experimental-sea-config exited ${sea.status}: ${sea.stderr || sea.stdout}`);

step(`copying ${process.execPath} (node ${process.version})`);
await rm(LAUNCHER_PATH, { force: true });
await mkdir(dirname(LAUNCHER_PATH), { recursive: true });
await copyFile(process.execPath, LAUNCHER_PATH);
await chmod(LAUNCHER_PATH, 0o755);

step('injecting the blob with postject');
const { inject } = (await import('postject')).default;
await inject(LAUNCHER_PATH, 'NODE_SEA_BLOB', await readFile(blobPath), { sentinelFuse: SEA_FUSE });

step('smoke test: --version with an empty environment');
const smoke = spawnSync(LAUNCHER_PATH, ['--version'], { env: {}, encoding: 'utf8' });
if (smoke.status !== 0 || smoke.stdout.trim() !== pkg.version) {
  fail(`the executable printed ${JSON.stringify(smoke.stdout.trim())} (exit ${smoke.status}), want ${pkg.version}: ${smoke.stderr}`);
}
const size = (await stat(LAUNCHER_PATH)).size;
step(`done: ${relative(root, LAUNCHER_PATH)} (${(size / 1048576).toFixed(0)} MiB, cloister ${pkg.version})`);
