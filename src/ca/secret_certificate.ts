import { floorToSecond, checkLifetime, randomSerial, validityWindow, type Ca } from './ca_state.js';
import { CaError } from './errors.js';
import { checkKeyType, exportPrivateKeyPem, generateKeyPair, KEY_SPECS, type KeyType } from './keys.js';
import { leafKeyUsage } from './issue_leaf.js';
import { commonName, distinguishedName, sanExtension, type Sans } from './names.js';
import { signCertificate } from './sign_certificate.js';
import { x509 } from './x509_provider.js';

/**
 * Certificates the manifest declares as secrets (`type: certificate`): the coordinator makes the
 * key pair and hands certificate + private key to the workloads that reference the secret.
 *
 * Leaf secrets are issued by the intermediate, so peers that trust the Cloister root accept them.
 * CA secrets (`ca: true`) are self-signed instead, deliberately: a CA under the intermediate
 * would let every holder of that secret mint certificates for any workload name that chain to
 * the Cloister root. Self-signed, the secret CA is its own trust anchor, trusted only by whoever
 * is configured with it (the intermediate's pathLen 0 would reject such a chain anyway).
 */
export interface SecretCertificateOptions {
  readonly keyType: KeyType;
  /** 'CN=api,O=Example' (manifest syntax), or a bare common name via `subjectCn`. */
  readonly subject?: string;
  readonly subjectCn?: string;
  readonly sans?: Sans;
  readonly validityMs: number;
  readonly isCa: boolean;
  readonly now: Date;
}

export interface SecretCertificate {
  readonly certPem: string;
  readonly privateKeyPem: string;
  /** Certificate then issuer chain below the root (leaf secrets), or the certificate alone (CA secrets). */
  readonly chainPem: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly selfSigned: boolean;
}

export async function issueSecretCertificate(ca: Ca, o: SecretCertificateOptions): Promise<SecretCertificate> {
  checkKeyType(o.keyType);
  const subject = subjectOf(o);
  const san = sanExtension(o.sans ?? {});
  const keys = await generateKeyPair(o.keyType);
  const serial = randomSerial(ca.random);
  if (o.isCa) {
    checkLifetime(o.validityMs, 'secret CA validity');
    const notBefore = floorToSecond(o.now);
    const signed = await signCertificate({
      serial,
      subject,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      notBefore,
      notAfter: new Date(notBefore.getTime() + o.validityMs),
      signing: KEY_SPECS[o.keyType].signing,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        ...(san === undefined ? [] : [san]),
      ],
    });
    return { certPem: signed.pem, chainPem: signed.pem, privateKeyPem: await exportPrivateKeyPem(keys.privateKey), serial, notBefore, notAfter: signed.cert.notAfter, selfSigned: true };
  }
  const window = validityWindow(ca.intermediate, o.now, o.validityMs);
  const signed = await signCertificate({
    serial,
    subject,
    publicKey: keys.publicKey,
    issuer: ca.intermediate,
    signingKey: ca.intermediate.privateKey,
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    signing: KEY_SPECS[ca.keyType].signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(leafKeyUsage(o.keyType), true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
      ...(san === undefined ? [] : [san]),
    ],
  });
  return {
    certPem: signed.pem,
    chainPem: signed.pem + ca.intermediate.certPem,
    privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
    serial,
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    selfSigned: false,
  };
}

function subjectOf(o: SecretCertificateOptions): x509.JsonName {
  if (o.subject !== undefined && o.subjectCn !== undefined) throw new CaError('CA_NAME_INVALID', 'give subject or subjectCn, not both');
  if (o.subject !== undefined) return distinguishedName(o.subject);
  if (o.subjectCn !== undefined) return commonName(o.subjectCn);
  throw new CaError('CA_NAME_INVALID', 'a secret certificate needs subject or subjectCn');
}
