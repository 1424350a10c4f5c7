import type { Logger } from 'pino';
import { loadCa, type Ca } from '../ca/index.js';
import type { Clock, Random } from '../common/clock.js';
import { governanceOf } from '../governance/index.js';
import { parseManifest, type Manifest } from '../manifest/index.js';
import type { Store } from '../store/index.js';
import type { ActiveManifest } from './activation.js';
import type { AuditAppender } from './audit_appender.js';
import { indexUsers } from './principal.js';
import { KEY, decodeJson, readJson, type ManifestRecord, type StoredSecret } from './state.js';

/**
 * What the coordinator's parts share: the store, the audit appender, time, randomness, and the
 * one current snapshot (manifest + CA + secrets + governance) that a request reads once and
 * works on. `install` replaces the snapshot after a commit that changed it; a replica that sees
 * another replica's commit (watch) reloads it with `loadActive`.
 */
export interface CoordinatorCore {
  readonly store: Store;
  readonly audit: AuditAppender;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  /** the state data key, to split for recovery key holders; undefined where it is not held */
  readonly dataKey: Uint8Array | undefined;
  current(): ActiveManifest | undefined;
  install(next: ActiveManifest): void;
}

export function snapshotOf(p: {
  manifest: Manifest;
  text: string;
  hash: string;
  ca: Ca;
  sharedSecrets: Readonly<Record<string, StoredSecret>>;
  userSecrets: Readonly<Record<string, StoredSecret>>;
}): ActiveManifest {
  const governance = governanceOf(p.manifest);
  return { ...p, governance, users: indexUsers(governance) };
}

async function secretsUnder(store: Pick<Store, 'list'>, prefix: string): Promise<Record<string, StoredSecret>> {
  const out: Record<string, StoredSecret> = {};
  for (const e of await store.list(prefix)) out[e.key.slice(prefix.length)] = decodeJson<StoredSecret>(e.value, e.key);
  return out;
}

/**
 * The snapshot as stored, or undefined before the first manifest. `ca`: the CA just loaded by
 * the caller (start-up), so it is not read and imported twice; a reload after another replica's
 * change omits it (that change may have rolled the intermediate).
 */
export async function loadActive(store: Pick<Store, 'get' | 'list'>, o: { random: Random; ca?: Ca }): Promise<{ active: ActiveManifest | undefined; ca: Ca } | undefined> {
  let ca = o.ca;
  if (ca === undefined) {
    const caRec = await readJson<{ ca: unknown }>(store, KEY.ca);
    if (caRec === undefined) return undefined;
    ca = await loadCa(caRec.value.ca, { random: o.random });
  }
  const rec = await readJson<ManifestRecord>(store, KEY.manifest);
  if (rec === undefined) return { active: undefined, ca };
  const active = snapshotOf({
    manifest: parseManifest(rec.value.text),
    text: rec.value.text,
    hash: rec.value.hash,
    ca,
    sharedSecrets: await secretsUnder(store, 'secrets/shared/'),
    userSecrets: await secretsUnder(store, KEY.userSecrets),
  });
  return { active, ca };
}
