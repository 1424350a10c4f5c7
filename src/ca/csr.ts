import { verify, type KeyObject } from 'node:crypto';
import { toHex } from '../common/bytes.js';
import { children, content, DER_TAG, expectTag, readNode, readOid, readSmallInt, whole, type DerNode } from '../common/der.js';
import { CaError } from './errors.js';
import { exportPrivateKeyPem, generateKeyPair, importSpki, KEY_SPECS, keyTypeOfKey, keyTypeOfSpki, toPem, type KeyType } from './keys.js';
import { commonName, sanExtension, type Sans } from './names.js';
import { subtle, x509 } from './x509_provider.js';
import type { CryptoKeyPair } from './x509_provider.js';

/**
 * PKCS#10 certificate requests. Workloads create one over a fresh key (csrFromKey) and present
 * it with their evidence; the coordinator checks its self-signature (proof the requester holds
 * the private key) and binds the evidence to its public key.
 */
export interface VerifiedCsr {
  /** DER SubjectPublicKeyInfo of the requested key (what activation binds evidence to). */
  readonly publicKeySpki: Uint8Array;
  readonly publicKey: KeyObject;
  readonly keyType: KeyType;
  /** The requested subject (RFC 4514-like), informational only: the CA takes names from the manifest. */
  readonly requestedSubject: string;
}

// Signature algorithms a CSR may use, by OID, with the key family each needs (RFC 5758 3.2,
// RFC 4055 5, RFC 8410 3). RSASSA-PSS CSRs are not accepted (parameters; nothing here makes them).
const CSR_SIGNATURES: Readonly<Record<string, { family: 'ec' | 'rsa' | 'ed25519'; hash: string | null }>> = {
  '1.2.840.10045.4.3.2': { family: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { family: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { family: 'ec', hash: 'sha512' },
  '1.2.840.113549.1.1.11': { family: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { family: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { family: 'rsa', hash: 'sha512' },
  '1.3.101.112': { family: 'ed25519', hash: null },
};
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };

function csrDer(csr: string | Uint8Array): Uint8Array {
  const text = typeof csr === 'string' ? csr : csr[0] === 0x2d /* '-' */ ? Buffer.from(csr).toString('latin1') : undefined;
  if (text === undefined) return csr as Uint8Array;
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(text);
  if (m === null) throw new CaError('CA_CSR_INVALID', 'CSR is not a PEM CERTIFICATE REQUEST block');
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/**
 * Parses a PEM (or DER) PKCS#10 request (RFC 2986) and verifies its self-signature with
 * node:crypto: DER walked with src/common/der.ts, the key imported once. CA_CSR_INVALID for
 * anything wrong (bytes after the request, a version other than 1, a signature algorithm that
 * does not fit the key, a bad signature) and for keys Cloister does not certify.
 */
export async function verifyCsr(csr: string | Uint8Array): Promise<VerifiedCsr> {
  const der = csrDer(csr);
  let info: Uint8Array, spki: Uint8Array, subject: string, sigOid: string, signature: Uint8Array;
  try {
    const outer = expectTag(readNode(der, 0), DER_TAG.SEQUENCE, 'CertificationRequest');
    if (outer.end !== der.length) throw new CaError('CA_CSR_INVALID', `CSR: ${der.length - outer.end} bytes after the request`);
    const [infoNode, algNode, sigNode, ...rest] = children(der, outer);
    if (infoNode === undefined || algNode === undefined || sigNode === undefined || rest.length > 0) throw new CaError('CA_CSR_INVALID', 'CSR: want info, algorithm and signature');
    const [version, name, spkiNode] = children(der, expectTag(infoNode, DER_TAG.SEQUENCE, 'certificationRequestInfo'));
    if (version === undefined || name === undefined || spkiNode === undefined) throw new CaError('CA_CSR_INVALID', 'CSR info: want version, subject and key');
    if (readSmallInt(der, version) !== 0) throw new CaError('CA_CSR_INVALID', `CSR version: got ${readSmallInt(der, version) + 1}, want 1`);
    info = whole(der, infoNode);
    spki = new Uint8Array(whole(der, expectTag(spkiNode, DER_TAG.SEQUENCE, 'subjectPKInfo')));
    subject = subjectText(der, expectTag(name, DER_TAG.SEQUENCE, 'subject'));
    sigOid = readOid(der, children(der, expectTag(algNode, DER_TAG.SEQUENCE, 'signatureAlgorithm'))[0] ?? algNode);
    const bits = content(der, expectTag(sigNode, DER_TAG.BIT_STRING, 'signature'));
    if (bits[0] !== 0) throw new CaError('CA_CSR_INVALID', `CSR signature: got ${bits[0]} unused bits, want 0`);
    signature = bits.subarray(1);
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw new CaError('CA_CSR_INVALID', 'CSR is not a PKCS#10 certificate request (PEM or DER)', { cause: e });
  }
  let publicKey: KeyObject;
  try {
    publicKey = importSpki(spki);
  } catch (e) {
    throw new CaError('CA_CSR_INVALID', 'CSR public key cannot be imported', { cause: e });
  }
  const keyType = keyTypeOfKey(publicKey);
  if (keyType === undefined) {
    throw new CaError('CA_CSR_INVALID', `CSR public key (${publicKey.asymmetricKeyType ?? 'unknown'}) is not ECDSA P-256/P-384, Ed25519 or RSA 2048/3072/4096`);
  }
  const alg = CSR_SIGNATURES[sigOid];
  if (alg === undefined || alg.family !== publicKey.asymmetricKeyType) {
    throw new CaError('CA_CSR_INVALID', `CSR signature algorithm ${sigOid} does not fit its ${publicKey.asymmetricKeyType ?? 'unknown'} key`);
  }
  let ok: boolean;
  try {
    ok = verify(alg.hash, info, publicKey, signature);
  } catch (e) {
    throw new CaError('CA_CSR_INVALID', `CSR signature (${sigOid}) cannot be checked`, { cause: e });
  }
  if (!ok) throw new CaError('CA_CSR_INVALID', 'CSR signature does not verify under the CSR public key');
  return { publicKeySpki: spki, publicKey, keyType, requestedSubject: subject };
}

/** 'CN=x,O=y' for the common attributes, OID=#hex for the rest (informational). */
function subjectText(der: Uint8Array, name: DerNode): string {
  const parts: string[] = [];
  for (const rdn of children(der, name)) {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv);
      if (type === undefined || value === undefined) continue;
      const o = readOid(der, type);
      const label = ATTRIBUTE_NAMES[o];
      parts.push(label === undefined ? `${o}=#${toHex(whole(der, value))}` : `${label}=${Buffer.from(content(der, value)).toString('utf8')}`);
    }
  }
  return parts.join(',');
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
