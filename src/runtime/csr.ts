import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata polyfill loaded first
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** A fresh instance key pair and its PKCS#10 request (the CSR that activation sends). */
export interface InstanceKey {
  /** PKCS#8 PEM of the private key */
  readonly keyPem: string;
  /** DER SubjectPublicKeyInfo: what the activation report data commits to */
  readonly spki: Uint8Array;
  readonly csrPem: string;
}

/**
 * Makes an ECDSA P-256 key pair (WebCrypto, node's CSPRNG) and a CSR signed with it
 * (ecdsa-with-SHA256). The subject CN is the workload name; the coordinator decides the final
 * subject and SANs from the manifest, so nothing else is requested.
 */
export async function createInstanceKey(commonName: string): Promise<InstanceKey> {
  const subtle = webcrypto.subtle;
  const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: [{ CN: [commonName] }], keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } },
    webcrypto as unknown as Crypto,
  );
  const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
  return { keyPem, spki, csrPem: csr.toString('pem') };
}
