// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata
// polyfill loaded before it (tsyringe README); src/ca/x509_provider.ts does the same.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createHash, createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { checkUserKey, encodeSignedRequestHeader, SIGNED_REQUEST_HEADER, signRequest, type RequestToSign } from '../governance/index.js';
import { ClientError } from './errors.js';

/**
 * A governance user's TLS client identity, built from the user's private key (the key declared
 * as `publicKey` or inside `certificate` in the manifest's `users`).
 *
 * A user declared with `publicKey` has no certificate, yet TLS client authentication needs one.
 * The coordinator matches such a user by the certificate's SubjectPublicKeyInfo alone (the TLS
 * handshake proves possession of the key), so any certificate for the key works: we make a
 * self-signed one on the fly, valid for one hour, and never store it. A user declared with
 * `certificate` must present exactly that certificate (--cert).
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const USER_CERT_LIFETIME_MS = 60 * 60 * 1000;
/** notBefore is set this far back, so a coordinator clock a little behind ours still accepts it. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface UserIdentity {
  readonly privateKey: KeyObject;
  /** PKCS#8 PEM of the private key (for `request()`'s clientKey) */
  readonly keyPem: string;
  /** the given certificate, or the generated self-signed one (for `request()`'s clientCert) */
  readonly certPem: string;
  /** true when certPem was generated here */
  readonly generated: boolean;
  /** lowercase hex SHA-256 of the public key's SPKI DER (for messages) */
  readonly spkiSha256: string;
}

export interface LoadUserIdentityOptions {
  /** PEM private key (PKCS#8, SEC1 or PKCS#1); encrypted keys are not supported */
  readonly keyPem: string;
  /** PEM certificate of the key (users declared with `certificate`) */
  readonly certPem?: string;
  readonly now: Date;
  readonly random: Random;
  readonly lifetimeMs?: number;
}

/** Reads a user private key; USER_KEY_INVALID unless it is a PEM private key that can sign approvals. */
export function loadUserKey(keyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (cause) {
    const why = /ENCRYPTED/.test(keyPem) ? 'it is encrypted (decrypt it first, e.g. openssl pkey -in KEY -out PLAIN)' : 'not a PEM private key';
    throw new ClientError('USER_KEY_INVALID', `user key: ${why}`, { cause });
  }
  checkKey(key);
  return key;
}

function checkKey(key: KeyObject): void {
  try {
    checkUserKey(key, 'user key');
  } catch (cause) {
    throw new ClientError('USER_KEY_INVALID', (cause as Error).message, { cause });
  }
}

export async function loadUserIdentity(o: LoadUserIdentityOptions): Promise<UserIdentity> {
  const privateKey = loadUserKey(o.keyPem);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const spkiSha256 = toHex(createHash('sha256').update(spki).digest());
  if (o.certPem !== undefined) {
    return { privateKey, keyPem, certPem: checkUserCertificate(o.certPem, spki, o.now), generated: false, spkiSha256 };
  }
  const certPem = await selfSignedUserCertificate(privateKey, { now: o.now, random: o.random, ...(o.lifetimeMs === undefined ? {} : { lifetimeMs: o.lifetimeMs }) });
  return { privateKey, keyPem, certPem, generated: true, spkiSha256 };
}

/** The certificate must be one PEM certificate for this key and valid at `now`; returns it normalized. */
function checkUserCertificate(certPem: string, spki: Uint8Array, now: Date): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (cause) {
    throw new ClientError('USER_CERT_INVALID', 'user certificate: not a PEM certificate', { cause });
  }
  const certSpki = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!constantTimeEqual(certSpki, spki)) {
    throw new ClientError('USER_CERT_INVALID', `user certificate: its public key (sha256 ${sha256Hex(certSpki)}) is not the --key's (sha256 ${sha256Hex(spki)})`);
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from || now > to) {
    throw new ClientError('USER_CERT_INVALID', `user certificate: valid ${from.toISOString()} to ${to.toISOString()}, not at ${now.toISOString()}`);
  }
  return cert.toString();
}

const sha256Hex = (b: Uint8Array): string => toHex(createHash('sha256').update(b).digest());

interface WebKeySpec {
  readonly params: webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  readonly signing: webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams | webcrypto.RsaPssParams;
}

const EC: Readonly<Record<string, { curve: string; hash: string }>> = {
  prime256v1: { curve: 'P-256', hash: 'SHA-256' },
  secp384r1: { curve: 'P-384', hash: 'SHA-384' },
  secp521r1: { curve: 'P-521', hash: 'SHA-512' },
};

/** WebCrypto spelling of a (checked) user key; the certificate is signed with the key's own scheme. */
function webSpec(key: KeyObject): WebKeySpec {
  const t = key.asymmetricKeyType;
  if (t === 'ed25519') return { params: { name: 'Ed25519' }, signing: { name: 'Ed25519' } };
  if (t === 'ec') {
    const c = EC[key.asymmetricKeyDetails?.namedCurve ?? '']!;
    return { params: { name: 'ECDSA', namedCurve: c.curve }, signing: { name: 'ECDSA', hash: c.hash } as webcrypto.EcdsaParams };
  }
  return { params: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, signing: { name: 'RSASSA-PKCS1-v1_5' } };
}

/**
 * A self-signed X.509 certificate for a user key, valid from `now` - 5 min to `now` + lifetime
 * (1 h by default). It authenticates nothing by itself: the coordinator trusts it only because
 * its public key is a declared user's key. Subject: CN=cloister-user-<first 16 hex of SPKI hash>.
 */
export async function selfSignedUserCertificate(privateKey: KeyObject, o: { now: Date; random: Random; lifetimeMs?: number }): Promise<string> {
  checkKey(privateKey);
  const lifetime = o.lifetimeMs ?? USER_CERT_LIFETIME_MS;
  if (!Number.isFinite(lifetime) || lifetime <= 0 || lifetime > 24 * USER_CERT_LIFETIME_MS) {
    throw new RangeError(`lifetimeMs: got ${lifetime}, want 1..${24 * USER_CERT_LIFETIME_MS}`);
  }
  if (privateKey.asymmetricKeyType === 'rsa-pss') {
    // WebCrypto cannot import id-RSASSA-PSS keys, and re-encoding the key as rsaEncryption would
    // change its SPKI, which is what the coordinator matches.
    throw new ClientError('USER_KEY_INVALID', 'user key: an RSA-PSS-only (id-RSASSA-PSS) key cannot make a TLS client certificate here; pass its --cert, or use --signed-request');
  }
  const spec = webSpec(privateKey);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  let keys: webcrypto.CryptoKeyPair;
  try {
    keys = {
      privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, spec.params, false, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', spki, spec.params, true, ['verify']),
    };
  } catch (cause) {
    throw new ClientError('USER_KEY_INVALID', `user key: cannot be used to sign a certificate (${(cause as Error).message})`, { cause });
  }
  // A positive serial: 16 random bytes with the top bit cleared (RFC 5280 4.1.2.2: at most 20 octets, positive).
  const serial = Buffer.from(o.random.bytes(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const name = `CN=cloister-user-${sha256Hex(spki).slice(0, 16)}`;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: name,
    issuer: name,
    notBefore: new Date(o.now.getTime() - BACKDATE_MS),
    notAfter: new Date(o.now.getTime() + lifetime),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: spec.signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    ],
  });
  return `${cert.toString('pem')}\n`;
}

/**
 * The `Cloister-Signature` header of a signed request (docs/governance.md "Signed requests"):
 * the caller must send exactly `req.body` and the path (with query) signed here.
 */
export function signedRequestHeader(
  req: RequestToSign,
  o: { user: string; privateKey: KeyObject; now: Date; random: Random },
): { readonly name: string; readonly value: string } {
  const auth = signRequest(req, { user: o.user, privateKey: o.privateKey, time: o.now, nonce: o.random.bytes(32) });
  return { name: SIGNED_REQUEST_HEADER, value: encodeSignedRequestHeader(auth) };
}
