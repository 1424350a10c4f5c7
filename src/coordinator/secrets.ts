import type { Random } from '../common/clock.js';
import { fromHexStrict, toHex } from '../common/bytes.js';
import { durationMs, type Manifest, type ManifestSecret, type SecretMaterial } from '../manifest/index.js';
import { issueSecretCertificate, type Ca } from '../ca/index.js';
import type { StoredSecret } from './state.js';

/**
 * Creates the material of one manifest secret. User secrets have none until a user sets them
 * (returns undefined). Certificates are issued by the manifest's intermediate CA.
 */
export async function generateSecret(
  name: string,
  def: ManifestSecret,
  o: { random: Random; ca: Ca; now: Date; scopeLabel: string },
): Promise<StoredSecret | undefined> {
  switch (def.type) {
    case 'symmetric-key':
      return { kind: 'bytes', hex: toHex(o.random.bytes(def.size / 8)) };
    case 'random':
      return { kind: 'bytes', hex: toHex(o.random.bytes(def.size)) };
    case 'certificate': {
      const c = await issueSecretCertificate(o.ca, {
        keyType: def.keyType,
        ...(def.subject === undefined ? { subjectCn: `${name}.${o.scopeLabel}` } : { subject: def.subject }),
        sans: { dns: def.sans?.dns ?? [], ip: def.sans?.ip ?? [] },
        isCa: def.ca,
        validityMs: durationMs(def.validity),
        now: o.now,
      });
      return { kind: 'certificate', certPem: c.chainPem, keyPem: c.privateKeyPem };
    }
    case 'user':
      return undefined;
  }
}

/** The secrets of one scope ('shared' at manifest set, 'per-instance' at first activation). */
export async function generateSecrets(
  manifest: Manifest,
  scope: 'shared' | 'per-instance',
  o: { random: Random; ca: Ca; now: Date; scopeLabel: string },
): Promise<Record<string, StoredSecret>> {
  const out: Record<string, StoredSecret> = {};
  for (const [name, def] of Object.entries(manifest.secrets)) {
    if (def.scope !== scope) continue;
    const s = await generateSecret(name, def, o);
    if (s !== undefined) out[name] = s;
  }
  return out;
}

export function toMaterial(s: StoredSecret): SecretMaterial {
  if (s.kind === 'certificate') return { kind: 'certificate', certPem: s.certPem, keyPem: s.keyPem };
  return { kind: 'bytes', bytes: fromHexStrict(s.hex) ?? new Uint8Array(0) };
}
