/**
 * Child process of crash.test.ts (not a test itself). Opens a sealed file store in argv[2]
 * with the data key argv[3] (hex) and commits versions v, v+1, ... forever, each one a
 * multi-key transaction: meta/version, data/a, data/b, data/c (sizes vary with v), and
 * data/even present exactly on even versions. After each commit resolves it prints
 * `committed V` (stdout to a pipe is synchronous on Linux, so the parent sees the line
 * before the next commit starts). The parent kills it with SIGKILL at random times.
 * It starts before the previous child is dead and touches the store only after `go` on stdin.
 */
import { randomBytes } from 'node:crypto';
// The store files directly, not index.ts: the bundle must not pull in the etcd client (grpc-js
// cannot be bundled as ESM) for a child that only needs the file store.
import { openFileStore } from '../../src/store/file_store.js';
import { createSealedStore } from '../../src/store/sealed_store.js';
import { versionOps, readVersion } from './crash_versions.js';

const [dir, keyHex] = process.argv.slice(2);
// Started ahead of time by the parent (to hide start-up cost); wait for its go.
await new Promise((resolve) => process.stdin.once('data', resolve));
const file = await openFileStore(dir!);
const store = createSealedStore(file, { dataKey: new Uint8Array(Buffer.from(keyHex!, 'hex')), random: { bytes: (n) => new Uint8Array(randomBytes(n)) } });
let { version, revision } = await readVersion(store);
process.stdout.write(`open ${version}\n`);
for (;;) {
  const next = version + 1;
  const r = await store.commit(versionOps(next, revision));
  if (!r.ok) throw new Error(`conflict on ${r.conflictKey}: nobody else writes this store`);
  version = next;
  revision = r.revision;
  process.stdout.write(`committed ${version}\n`);
}
