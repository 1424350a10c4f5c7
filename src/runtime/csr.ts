import { webcrypto } from 'node:crypto';
import { csrFromKey } from '../ca/index.js';

/** A fresh instance key pair and its PKCS#10 request (the CSR that activation sends). */
export interface InstanceKey {
  /** PKCS#8 PEM of the private key */
  readonly keyPem: string;
  /** DER SubjectPublicKeyInfo: what the activation report data commits to */
  readonly spki: Uint8Array;
  readonly csrPem: string;
}

/**
 * A fresh ECDSA P-256 key pair (node's WebCrypto CSPRNG) and a CSR signed with it, through the
 * CA layer's csrFromKey. The subject CN is the workload name; the coordinator takes the final
 * subject and SANs from the manifest, so nothing else is requested.
 */
export async function createInstanceKey(commonName: string): Promise<InstanceKey> {
  const { csrPem, keys, privateKeyPem } = await csrFromKey({ subjectCn: commonName });
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return { keyPem: privateKeyPem, spki, csrPem };
}
