import type { Random } from '../common/clock.js';
import { checkLifetime, floorToSecond, randomSerial, systemRandom, type Ca, type CaCert } from './ca_state.js';
import { CaError } from './errors.js';
import { checkKeyType, exportPrivateKeyPem, generateKeyPair, KEY_SPECS, type CaKeyType } from './keys.js';
import { commonName } from './names.js';
import { signCertificate } from './sign_certificate.js';
import { x509 } from './x509_provider.js';
import type { CryptoKey } from './x509_provider.js';

/**
 * A fresh root CA and intermediate CA for one manifest. The root signs only the intermediate
 * (pathLen 1); the intermediate signs workload leaves, secret certificates and the CRL
 * (pathLen 0: nothing it signs can be a CA that chains to the root, see secret_certificate.ts).
 * Both keys are the same ECDSA curve. Lifetimes are explicit inputs: no ten-year defaults.
 */
export interface CreateCaOptions {
  readonly now: Date;
  /** Serial number source; node's CSPRNG when absent. Keys always come from WebCrypto. */
  readonly random?: Random;
  readonly rootLifetimeMs: number;
  readonly intermediateLifetimeMs: number;
  /** Names the CA in its subjects: '<name> Root CA', '<name> Intermediate CA'. 1..40 characters. */
  readonly name: string;
  readonly keyType?: CaKeyType;
}

export const CA_KEY_TYPES: readonly CaKeyType[] = ['ecdsa-p256', 'ecdsa-p384'];
const MAX_NAME = 40;

export async function createCa(o: CreateCaOptions): Promise<Ca> {
  const keyType = o.keyType ?? 'ecdsa-p256';
  checkKeyType(keyType, CA_KEY_TYPES);
  checkLifetime(o.rootLifetimeMs, 'root CA lifetime');
  checkLifetime(o.intermediateLifetimeMs, 'intermediate CA lifetime');
  if (o.name.length === 0 || o.name.length > MAX_NAME) throw new CaError('CA_NAME_INVALID', `CA name ${JSON.stringify(o.name)}: want 1..${MAX_NAME} characters`);
  const random = o.random ?? systemRandom;
  const now = floorToSecond(o.now);
  const signing = KEY_SPECS[keyType].signing;

  const rootKeys = await generateKeyPair(keyType);
  const rootName = commonName(`${o.name} Root CA`);
  const root = await signCertificate({
    serial: randomSerial(random),
    subject: rootName,
    publicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    notBefore: now,
    notAfter: new Date(now.getTime() + o.rootLifetimeMs),
    signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const rootCert = await caCert(root, rootKeys.privateKey);

  const intermediate = await newIntermediate({ name: o.name, keyType, root: rootCert, now, lifetimeMs: o.intermediateLifetimeMs, random });
  return { name: o.name, keyType, root: rootCert, intermediate, revoked: [], random };
}

/**
 * The same CA with a NEW intermediate (fresh key) under the same root: what a manifest update
 * does ("the CA rolls"). The root, and so the coordinator's attested identity, stays; leaves of
 * the old intermediate keep chaining to the root until they expire or their instances renew.
 */
export async function rollIntermediate(ca: Ca, o: { now: Date; lifetimeMs: number }): Promise<Ca> {
  checkLifetime(o.lifetimeMs, 'intermediate CA lifetime');
  const intermediate = await newIntermediate({ name: ca.name, keyType: ca.keyType, root: ca.root, now: floorToSecond(o.now), lifetimeMs: o.lifetimeMs, random: ca.random });
  return { ...ca, intermediate, revoked: [] };
}

async function newIntermediate(o: { name: string; keyType: CaKeyType; root: CaCert; now: Date; lifetimeMs: number; random: Random }): Promise<CaCert> {
  const signing = KEY_SPECS[o.keyType].signing;
  const interKeys = await generateKeyPair(o.keyType);
  const inter = await signCertificate({
    serial: randomSerial(o.random),
    subject: commonName(`${o.name} Intermediate CA`),
    publicKey: interKeys.publicKey,
    issuer: o.root,
    signingKey: o.root.privateKey,
    notBefore: o.now,
    notAfter: new Date(Math.min(o.now.getTime() + o.lifetimeMs, o.root.cert.notAfter.getTime())),
    signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return caCert(inter, interKeys.privateKey);
}

async function caCert(signed: { cert: x509.X509Certificate; pem: string; keyId: string }, privateKey: CryptoKey): Promise<CaCert> {
  return { cert: signed.cert, certPem: signed.pem, privateKey, privateKeyPem: await exportPrivateKeyPem(privateKey), keyId: signed.keyId };
}
