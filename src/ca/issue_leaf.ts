import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { children, content, readNode } from '../common/der.js';
import { normalizeSerial, randomSerial, validityWindow, type Ca, type CaCert } from './ca_state.js';
import { verifyCsr, type VerifiedCsr } from './csr.js';
import {
  bitString, booleanTrue, directoryString, explicit, ia5, implicitPrimitive, octetString, oid, sequence, set, smallInteger, time, unsignedInteger,
} from './der_writer.js';
import { CaError } from './errors.js';
import { keyTypeOfSpki, toPem, type KeyType } from './keys.js';
import { commonName, ipBytes, sanList, type Sans } from './names.js';
import { x509 } from './x509_provider.js';

/**
 * Short-lived workload certificates, signed by the intermediate. Names come from the caller
 * (the manifest), never from the CSR: a CSR proves possession of a key and nothing else.
 *
 * One leaf per activation, so this is a hot path: the TBSCertificate is written with a small
 * DER writer (der_writer.ts) and signed with node:crypto under the intermediate's key imported
 * once; @peculiar/x509 (schema serializer on WebCrypto) cost ~1 ms per leaf and dominated the
 * coordinator's profile. CA certificates and secret certificates (cold paths) still use it.
 */
export const DEFAULT_LEAF_LIFETIME_MS = 24 * 3_600_000;

export type LeafKeySource =
  | { readonly csrPem: string | Uint8Array; readonly publicKeySpki?: undefined; readonly csr?: undefined }
  /** A CSR the caller already checked with verifyCsr (activation does, to bind evidence to its key). */
  | { readonly csr: VerifiedCsr; readonly csrPem?: undefined; readonly publicKeySpki?: undefined }
  /** An already-verified key (e.g. the coordinator's own TLS key): DER SubjectPublicKeyInfo. */
  | { readonly publicKeySpki: Uint8Array; readonly csrPem?: undefined; readonly csr?: undefined };

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
  const usages = [...((o.serverAuth ?? true) ? [EKU_SERVER_AUTH] : []), ...((o.clientAuth ?? true) ? [EKU_CLIENT_AUTH] : [])];
  const signer = issuerOf(ca);
  const serial = randomSerial(ca.random);
  const names = sanList(o.sans);
  const extensions = [
    // The same extensions, order and encoding as @peculiar/x509 writes for the CA's other
    // certificates (test/ca/issue_leaf.test.ts compares the two byte for byte).
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, keyUsageBits(key.keyType)),
    ...(usages.length > 0 ? [extension(OID.extKeyUsage, false, sequence(...usages.map(oid)))] : []),
    ...(names.length > 0 ? [extension(OID.subjectAltName, false, sequence(...names.map(generalName)))] : []),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(key.publicKeySpki))),
    extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, signer.keyId))),
  ];
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(Buffer.from(serial, 'hex')),
    signer.algorithm,
    signer.subject,
    sequence(time(window.notBefore), time(window.notAfter)),
    sequence(set(sequence(oid(OID.commonName), directoryString(commonNameValue(o.subjectCn))))),
    key.publicKeySpki,
    explicit(3, sequence(...extensions)),
  );
  const signature = new Uint8Array(sign(signer.hash, tbs, signer.key));
  const der = sequence(tbs, signer.algorithm, bitString(signature));
  const pem = toPem('CERTIFICATE', der);
  return {
    certPem: pem,
    certDer: der,
    chainPem: pem + ca.intermediate.certPem,
    serial: normalizeSerial(serial),
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

const OID = {
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
} as const;
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? sequence(oid(id), booleanTrue(), octetString(value)) : sequence(oid(id), octetString(value));
}

/** KeyUsage BIT STRING (RFC 5280 4.2.1.3): digitalSignature = bit 0, keyEncipherment = bit 2, minimal DER. */
function keyUsageBits(keyType: KeyType): Uint8Array {
  return keyType.startsWith('rsa-') ? new Uint8Array([0x03, 0x02, 0x05, 0xa0]) : new Uint8Array([0x03, 0x02, 0x07, 0x80]);
}

function generalName(n: ReturnType<typeof sanList>[number]): Uint8Array {
  switch (n.type) {
    case 'dns':
      return ia5(2, n.value);
    case 'ip':
      return implicitPrimitive(7, ipBytes(n.value));
    default:
      return ia5(6, n.value); // 'url': uniformResourceIdentifier
  }
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value (unused-bits byte excluded). */
function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, bits] = children(spki, readNode(spki, 0));
  return new Uint8Array(createHash('sha1').update(content(spki, bits!).subarray(1)).digest());
}

function commonNameValue(cn: string): string {
  return (commonName(cn)[0] as { CN: string[] }).CN[0]!; // validates length and characters
}

interface Issuer {
  readonly key: KeyObject;
  readonly hash: 'sha256' | 'sha384';
  /** AlgorithmIdentifier DER, in the TBS and around the signature */
  readonly algorithm: Uint8Array;
  /** the intermediate's subject Name DER, exactly as in its certificate */
  readonly subject: Uint8Array;
  readonly keyId: Uint8Array;
}

// Per intermediate: its private key as a node:crypto KeyObject (imported once, not per leaf)
// and the DER pieces every leaf repeats. Keyed by the CaCert object, which is immutable.
const ISSUERS = new WeakMap<CaCert, Issuer>();

function issuerOf(ca: Ca): Issuer {
  const cached = ISSUERS.get(ca.intermediate);
  if (cached !== undefined) return cached;
  const certDer = new Uint8Array(ca.intermediate.cert.rawData);
  const [tbs] = children(certDer, readNode(certDer, 0));
  // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, subject, ...
  const subject = children(certDer, tbs!)[5]!;
  const p384 = ca.keyType === 'ecdsa-p384';
  const issuer: Issuer = {
    key: createPrivateKey(ca.intermediate.privateKeyPem),
    hash: p384 ? 'sha384' : 'sha256',
    algorithm: sequence(oid(p384 ? '1.2.840.10045.4.3.3' : '1.2.840.10045.4.3.2')),
    subject: new Uint8Array(certDer.subarray(subject.start, subject.end)),
    keyId: new Uint8Array(Buffer.from(ca.intermediate.keyId, 'hex')),
  };
  ISSUERS.set(ca.intermediate, issuer);
  return issuer;
}

async function leafKey(o: LeafKeySource): Promise<{ publicKeySpki: Uint8Array; keyType: KeyType }> {
  if (o.csr !== undefined) return o.csr;
  if (o.csrPem !== undefined) return verifyCsr(o.csrPem);
  const keyType = keyTypeOfSpki(o.publicKeySpki);
  if (keyType === undefined) throw new CaError('CA_KEY_UNSUPPORTED', 'public key is not ECDSA P-256/P-384, Ed25519 or RSA 2048/3072/4096');
  // Re-encode through node so the certificate carries a canonical SPKI, not the caller's bytes.
  const canonical = createPublicKey({ key: Buffer.from(o.publicKeySpki), format: 'der', type: 'spki' }).export({ format: 'der', type: 'spki' });
  return { publicKeySpki: new Uint8Array(canonical), keyType };
}
