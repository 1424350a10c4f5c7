import type { Random } from '../common/clock.js';
import { z } from 'zod';
import { normalizeSerial, systemRandom, type Ca, type CaCert } from './ca_state.js';
import { CaError } from './errors.js';
import { importPrivateKeyPem, KEY_SPECS, type CaKeyType } from './keys.js';
import { subtle, x509 } from './x509_provider.js';

/**
 * A CA as plain JSON (PEM certificates, PKCS#8 PEM keys, revocations), for the sealed store.
 * It holds private keys: only ever store it through the sealed store. loadCa checks what a
 * corrupted or mixed-up snapshot could break: each key matches its certificate, and the
 * intermediate is signed by the root.
 */
export interface CaSnapshot {
  readonly version: 1;
  readonly name: string;
  readonly keyType: CaKeyType;
  readonly root: { readonly certPem: string; readonly privateKeyPem: string };
  readonly intermediate: { readonly certPem: string; readonly privateKeyPem: string };
  readonly revoked: ReadonlyArray<{ readonly serial: string; readonly reason: Ca['revoked'][number]['reason']; readonly revokedAt: string }>;
}

const pair = z.strictObject({ certPem: z.string().min(1), privateKeyPem: z.string().min(1) });
const snapshotSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1).max(40),
  keyType: z.enum(['ecdsa-p256', 'ecdsa-p384']),
  root: pair,
  intermediate: pair,
  revoked: z.array(
    z.strictObject({
      serial: z.string().regex(/^[0-9a-f]{2}([0-9a-f]{2}){0,19}$/, { error: 'want 1..20 bytes of lowercase hex' }),
      reason: z.enum(['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn']),
      revokedAt: z.iso.datetime(),
    }),
  ),
});

export function snapshotCa(ca: Ca): CaSnapshot {
  return {
    version: 1,
    name: ca.name,
    keyType: ca.keyType,
    root: { certPem: ca.root.certPem, privateKeyPem: ca.root.privateKeyPem },
    intermediate: { certPem: ca.intermediate.certPem, privateKeyPem: ca.intermediate.privateKeyPem },
    revoked: ca.revoked.map((r) => ({ serial: r.serial, reason: r.reason, revokedAt: r.revokedAt.toISOString() })),
  };
}

export async function loadCa(snapshot: unknown, o: { random?: Random } = {}): Promise<Ca> {
  const parsed = snapshotSchema.safeParse(snapshot);
  if (!parsed.success) {
    throw new CaError('CA_SNAPSHOT_INVALID', `CA snapshot: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const s = parsed.data;
  const root = await loadCaCert('root', s.root, s.keyType);
  const intermediate = await loadCaCert('intermediate', s.intermediate, s.keyType);
  const chained = await intermediate.cert.verify({ publicKey: root.cert.publicKey, signatureOnly: true }).catch(() => false);
  if (!chained) throw new CaError('CA_SNAPSHOT_INVALID', 'CA snapshot: intermediate certificate is not signed by the root key');
  return {
    name: s.name,
    keyType: s.keyType,
    root,
    intermediate,
    revoked: s.revoked.map((r) => ({ serial: normalizeSerial(r.serial), reason: r.reason, revokedAt: new Date(r.revokedAt) })),
    random: o.random ?? systemRandom,
  };
}

const PROBE = new TextEncoder().encode('cloister/ca-snapshot-key-check/v1');

async function loadCaCert(which: string, p: { certPem: string; privateKeyPem: string }, keyType: CaKeyType): Promise<CaCert> {
  let cert: x509.X509Certificate;
  let privateKey;
  try {
    cert = new x509.X509Certificate(p.certPem);
    privateKey = await importPrivateKeyPem(p.privateKeyPem, keyType);
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw new CaError('CA_SNAPSHOT_INVALID', `CA snapshot: ${which} certificate or key does not parse as ${keyType}`, { cause: e });
  }
  // Sign with the private key, verify with the certificate's public key: they must be one pair.
  const signing = KEY_SPECS[keyType].signing;
  const matches = await (async () => {
    const sig = await subtle.sign(signing, privateKey, PROBE);
    return subtle.verify(signing, await cert.publicKey.export(), sig, PROBE);
  })().catch(() => false);
  if (!matches) throw new CaError('CA_SNAPSHOT_INVALID', `CA snapshot: ${which} private key does not match its certificate`);
  const keyId = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (keyId === undefined) throw new CaError('CA_SNAPSHOT_INVALID', `CA snapshot: ${which} certificate has no SubjectKeyIdentifier`);
  return { cert, certPem: p.certPem, privateKey, privateKeyPem: p.privateKeyPem, keyId };
}
