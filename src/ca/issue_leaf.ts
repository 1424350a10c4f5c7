import { randomSerial, validityWindow, type Ca } from './ca_state.js';
import { verifyCsr } from './csr.js';
import { CaError } from './errors.js';
import { importPublicKeySpki, KEY_SPECS, keyTypeOfSpki, type KeyType } from './keys.js';
import { commonName, sanExtension, type Sans } from './names.js';
import { signCertificate } from './sign_certificate.js';
import { x509 } from './x509_provider.js';

/**
 * Short-lived workload certificates, signed by the intermediate. Names come from the caller
 * (the manifest), never from the CSR: a CSR proves possession of a key and nothing else.
 */
export const DEFAULT_LEAF_LIFETIME_MS = 24 * 3_600_000;

export type LeafKeySource =
  | { readonly csrPem: string | Uint8Array; readonly publicKeySpki?: undefined }
  /** An already-verified key (e.g. the coordinator's own TLS key): DER SubjectPublicKeyInfo. */
  | { readonly publicKeySpki: Uint8Array; readonly csrPem?: undefined };

export type IssueLeafOptions = LeafKeySource & {
  readonly subjectCn: string;
  readonly sans: Sans;
  /** Default 24 h; clamped to the intermediate's notAfter. */
  readonly lifetimeMs?: number;
  readonly now: Date;
  /** Extended key usages; both default to true (workloads are mTLS servers and clients). */
  readonly serverAuth?: boolean;
  readonly clientAuth?: boolean;
};

export interface IssuedLeaf {
  readonly certPem: string;
  readonly certDer: Uint8Array;
  /** Leaf then intermediate, PEM: what a TLS server sends. The root is `ca.root.certPem`. */
  readonly chainPem: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** True when the lifetime was cut short by the intermediate's own expiry. */
  readonly clamped: boolean;
  /** DER SubjectPublicKeyInfo of the certified key: activation binds evidence to it. */
  readonly publicKeySpki: Uint8Array;
  readonly keyType: KeyType;
}

export async function issueLeaf(ca: Ca, o: IssueLeafOptions): Promise<IssuedLeaf> {
  const key = await leafKey(o);
  const window = validityWindow(ca.intermediate, o.now, o.lifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS);
  const serverAuth = o.serverAuth ?? true;
  const clientAuth = o.clientAuth ?? true;
  const usages = [...(serverAuth ? [x509.ExtendedKeyUsage.serverAuth] : []), ...(clientAuth ? [x509.ExtendedKeyUsage.clientAuth] : [])];
  const san = sanExtension(o.sans);
  const signed = await signCertificate({
    serial: randomSerial(ca.random),
    subject: commonName(o.subjectCn),
    publicKey: key.publicKey,
    issuer: ca.intermediate,
    signingKey: ca.intermediate.privateKey,
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    signing: KEY_SPECS[ca.keyType].signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(leafKeyUsage(key.keyType), true),
      ...(usages.length > 0 ? [new x509.ExtendedKeyUsageExtension(usages, false)] : []),
      ...(san === undefined ? [] : [san]),
    ],
  });
  return {
    certPem: signed.pem,
    certDer: signed.der,
    chainPem: signed.pem + ca.intermediate.certPem,
    serial: signed.cert.serialNumber.toLowerCase(),
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    clamped: window.clamped,
    publicKeySpki: key.publicKeySpki,
    keyType: key.keyType,
  };
}

/** RSA keys may also do TLS 1.2 RSA key transport; EC and EdDSA keys only sign. */
export function leafKeyUsage(keyType: KeyType): number {
  return keyType.startsWith('rsa-') ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
}

async function leafKey(o: LeafKeySource): Promise<{ publicKey: Awaited<ReturnType<typeof importPublicKeySpki>>; publicKeySpki: Uint8Array; keyType: KeyType }> {
  if (o.csrPem !== undefined) return verifyCsr(o.csrPem);
  const keyType = keyTypeOfSpki(o.publicKeySpki);
  if (keyType === undefined) throw new CaError('CA_KEY_UNSUPPORTED', 'public key is not ECDSA P-256/P-384, Ed25519 or RSA 2048/3072/4096');
  return { publicKey: await importPublicKeySpki(o.publicKeySpki, keyType), publicKeySpki: new Uint8Array(o.publicKeySpki), keyType };
}
