import { requireAuthorized, type Principal } from '../governance/index.js';
import { CoordinatorError } from './codes.js';
import type { CoordinatorCore } from './core.js';
import { actorOf } from './principal.js';
import { KEY, encodeJson, readJson, type StoredSecret } from './state.js';

/**
 * Secrets of `type: user` (docs/governance.md): set and read through the API by users whose role
 * allows it, kept sealed like every other secret, and handed to workloads through manifest
 * templates on their next (re-)activation. The audit entry records who set which secret and its
 * size, never its value.
 */
export interface UserSecretRecord {
  readonly kind: 'bytes';
  readonly hex: string;
  readonly setAt: string;
  readonly setBy: string;
}

function declaredUserSecret(core: CoordinatorCore, name: string) {
  const m = core.current();
  if (m === undefined) throw new CoordinatorError('COORDINATOR_UNINITIALIZED', 'no manifest is set yet');
  const def = Object.hasOwn(m.manifest.secrets, name) ? m.manifest.secrets[name] : undefined;
  if (def === undefined) throw new CoordinatorError('SECRET_UNKNOWN', `the manifest declares no secret '${name}'`);
  return { m, def };
}

export async function setUserSecret(core: CoordinatorCore, who: Principal, name: string, value: Uint8Array): Promise<{ name: string; size: number }> {
  for (let attempt = 1; ; attempt++) {
    const { m, def } = declaredUserSecret(core, name);
    requireAuthorized(m.governance, who, 'secret.write', name);
    if (def.type !== 'user') throw new CoordinatorError('SECRET_UNKNOWN', `secret '${name}' is of type ${def.type}: only secrets of type user are set through the API`);
    if (value.length === 0 || value.length > def.maxSize) {
      throw new CoordinatorError('REQUEST_INVALID', `secret '${name}': got ${value.length} bytes, want 1..${def.maxSize} (maxSize in the manifest)`);
    }
    const now = core.clock.now();
    const cur = await readJson<UserSecretRecord>(core.store, KEY.userSecret(name));
    const record: UserSecretRecord = { kind: 'bytes', hex: Buffer.from(value).toString('hex'), setAt: now.toISOString(), setBy: actorOf(who) };
    const res = await core.audit.commit({
      ops: { compare: [{ key: KEY.userSecret(name), revision: cur?.revision ?? 0n }], put: [{ key: KEY.userSecret(name), value: encodeJson(record) }], delete: [] },
      entry: { time: now, kind: 'secret.set', actor: actorOf(who), detail: { name, size: value.length } },
    });
    if (!res.ok) {
      if (attempt < 5) continue;
      throw new CoordinatorError('STATE_CONCURRENT_UPDATE', `secret '${name}' was set concurrently ${attempt} times; retry`);
    }
    // a later snapshot (a manifest update) may have replaced m meanwhile: update whichever is current
    const now2 = core.current();
    if (now2 !== undefined) {
      const stored: StoredSecret = { kind: 'bytes', hex: record.hex };
      core.install({ ...now2, userSecrets: { ...now2.userSecrets, [name]: stored } });
    }
    core.log.info({ secret: name, size: value.length, by: actorOf(who) }, 'user secret set');
    return { name, size: value.length };
  }
}

export async function getUserSecret(core: CoordinatorCore, who: Principal, name: string): Promise<{ name: string; value: Uint8Array; setAt: string }> {
  const { m, def } = declaredUserSecret(core, name);
  requireAuthorized(m.governance, who, 'secret.read', name);
  if (def.type !== 'user') throw new CoordinatorError('SECRET_UNKNOWN', `secret '${name}' is of type ${def.type}: only user secrets can be read through the API`);
  const r = await readJson<UserSecretRecord>(core.store, KEY.userSecret(name));
  if (r === undefined) throw new CoordinatorError('SECRET_NOT_SET', `secret '${name}' has not been set yet (cloister secret set ${name} --from-file F)`);
  return { name, value: new Uint8Array(Buffer.from(r.value.hex, 'hex')), setAt: r.value.setAt };
}
