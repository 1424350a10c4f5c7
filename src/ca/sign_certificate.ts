import type { CaCert } from './ca_state.js';
import { toPem } from './keys.js';
import { x509 } from './x509_provider.js';
import type { Algorithm, CryptoKey, EcdsaParams } from './x509_provider.js';

/**
 * The one place certificates are signed, so every certificate carries the same baseline:
 * SubjectKeyIdentifier (RFC 5280 4.2.1.2 method 1: SHA-1 of the public key bits) and, when
 * signed by another certificate, AuthorityKeyIdentifier = the issuer's SKI.
 */
export interface SignRequest {
  readonly serial: string;
  readonly subject: x509.JsonName;
  readonly publicKey: CryptoKey;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly x509.Extension[];
  /** The issuing CA; undefined for a self-signed certificate. */
  readonly issuer?: CaCert;
  /** The issuer's private key, or the subject's own for a self-signed certificate. */
  readonly signingKey: CryptoKey;
  readonly signing: Algorithm | EcdsaParams;
}

export interface SignedCertificate {
  readonly cert: x509.X509Certificate;
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyId: string;
}

export async function signCertificate(r: SignRequest): Promise<SignedCertificate> {
  const ski = await x509.SubjectKeyIdentifierExtension.create(r.publicKey);
  const aki = new x509.AuthorityKeyIdentifierExtension(r.issuer?.keyId ?? ski.keyId);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: r.serial,
    subject: r.subject,
    issuer: r.issuer?.cert.subjectName ?? r.subject,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    publicKey: r.publicKey,
    signingKey: r.signingKey,
    signingAlgorithm: r.signing,
    extensions: [...r.extensions, ski, aki],
  });
  const der = new Uint8Array(cert.rawData);
  return { cert, der, pem: toPem('CERTIFICATE', der), keyId: ski.keyId };
}
