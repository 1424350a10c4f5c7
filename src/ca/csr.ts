import { CaError } from './errors.js';
import { exportPrivateKeyPem, generateKeyPair, KEY_SPECS, keyTypeOfSpki, toPem, type KeyType } from './keys.js';
import { commonName, sanExtension, type Sans } from './names.js';
import { subtle, x509 } from './x509_provider.js';
import type { CryptoKey, CryptoKeyPair } from './x509_provider.js';

/**
 * PKCS#10 certificate requests. Workloads create one over a fresh key (csrFromKey) and present
 * it with their evidence; the coordinator checks its self-signature (proof the requester holds
 * the private key) and binds the evidence to its public key.
 */
export interface VerifiedCsr {
  /** DER SubjectPublicKeyInfo of the requested key (what activation binds evidence to). */
  readonly publicKeySpki: Uint8Array;
  readonly publicKey: CryptoKey;
  readonly keyType: KeyType;
  /** The requested subject, informational only: the CA takes names from the manifest. */
  readonly requestedSubject: string;
}

/** Parses a PEM (or DER) CSR and verifies its signature; CA_CSR_INVALID for anything wrong. */
export async function verifyCsr(csr: string | Uint8Array): Promise<VerifiedCsr> {
  let req: x509.Pkcs10CertificateRequest;
  try {
    req = new x509.Pkcs10CertificateRequest(typeof csr === 'string' ? csr : Buffer.from(csr));
  } catch (e) {
    throw new CaError('CA_CSR_INVALID', 'CSR is not a PKCS#10 certificate request (PEM or DER)', { cause: e });
  }
  const publicKeySpki = new Uint8Array(req.publicKey.rawData);
  const keyType = keyTypeOfSpki(publicKeySpki);
  if (keyType === undefined) {
    throw new CaError('CA_CSR_INVALID', `CSR public key (algorithm ${req.publicKey.algorithm.name}) is not ECDSA P-256/P-384, Ed25519 or RSA 2048/3072/4096`);
  }
  let ok: boolean;
  try {
    ok = await req.verify();
  } catch (e) {
    throw new CaError('CA_CSR_INVALID', `CSR signature (${String((req.signatureAlgorithm as { name?: unknown }).name)}) cannot be checked`, { cause: e });
  }
  if (!ok) throw new CaError('CA_CSR_INVALID', 'CSR signature does not verify under the CSR public key');
  let publicKey: CryptoKey;
  try {
    publicKey = await req.publicKey.export();
  } catch (e) {
    throw new CaError('CA_CSR_INVALID', 'CSR public key cannot be imported', { cause: e });
  }
  return { publicKeySpki, publicKey, keyType, requestedSubject: req.subject };
}

/**
 * A CSR over `keys` (a fresh ECDSA P-256 pair when absent), for workloads. The private key is
 * returned as PKCS#8 PEM so the launcher can hand it to the program next to its certificate.
 */
export async function csrFromKey(o: { subjectCn: string; sans?: Sans; keys?: CryptoKeyPair }): Promise<{ csrPem: string; keys: CryptoKeyPair; privateKeyPem: string }> {
  const keys = o.keys ?? (await generateKeyPair('ecdsa-p256'));
  const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
  const keyType = keyTypeOfSpki(spki);
  if (keyType === undefined) throw new CaError('CA_KEY_UNSUPPORTED', `CSR key algorithm ${keys.publicKey.algorithm.name} is not supported`);
  const san = sanExtension(o.sans ?? {});
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: commonName(o.subjectCn),
    keys,
    signingAlgorithm: KEY_SPECS[keyType].signing,
    extensions: san === undefined ? [] : [san],
  });
  return { csrPem: toPem('CERTIFICATE REQUEST', new Uint8Array(req.rawData)), keys, privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}
