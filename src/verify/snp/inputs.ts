import { X509Certificate } from 'node:crypto';
import { pemBlocks } from '../../common/pem.js';
import { VerifyError } from '../errors.js';
import { parseSnpCrl, type SnpCrl } from './crl.js';
import { roleOf, type AmdCertRole } from './names.js';
import { pinnedCertByDer } from './roots.js';

/** Certificates for one report: explicit roles, or raw PEM/DER blobs in any order. */
export type SnpCertInput =
  | { readonly vek: X509Certificate; readonly ask?: X509Certificate; readonly ark?: X509Certificate; readonly crl?: Uint8Array }
  | readonly Uint8Array[];

export interface SortedSnpCerts {
  readonly veks: ReadonlyArray<{ cert: X509Certificate; role: 'vcek' | 'vlek' | undefined }>;
  /** ASKs and ASVKs */
  readonly intermediates: ReadonlyArray<{ cert: X509Certificate; role: 'ask' | 'asvk' }>;
  readonly arks: readonly X509Certificate[];
  readonly crl: SnpCrl | undefined;
}

/** Also decodes the public key: a certificate can parse while its key does not (OpenSSL decodes it lazily). */
function usable(cert: X509Certificate, what: string): X509Certificate {
  try {
    void cert.publicKey;
  } catch (cause) {
    throw new VerifyError('CERTS_INVALID', `${what} has an undecodable public key`, { cause });
  }
  return cert;
}

function parseCert(der: Uint8Array, what: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(der));
  } catch (cause) {
    throw new VerifyError('CERTS_INVALID', `${what} is not a parseable X.509 certificate`, { cause });
  }
  return usable(cert, what);
}

/** Splits blobs into certificate and CRL DERs: PEM blocks by label; DER by trying a certificate first. */
type Blob = { der: Uint8Array; what: string; cert?: X509Certificate };

function splitBlobs(blobs: readonly Uint8Array[]): { certs: Blob[]; crls: Uint8Array[] } {
  const certs: Blob[] = [];
  const crls: Uint8Array[] = [];
  blobs.forEach((blob, n) => {
    const head = Buffer.from(blob.subarray(0, Math.min(blob.length, 4096))).toString('latin1');
    if (head.includes('-----BEGIN ')) {
      const blocks = pemBlocks(Buffer.from(blob).toString('latin1'));
      if (blocks.length === 0) throw new VerifyError('CERTS_INVALID', `certificate input #${n + 1} is PEM without a complete block`);
      blocks.forEach((b, k) => {
        if (b.label === 'CERTIFICATE') certs.push({ der: b.der, what: `certificate input #${n + 1} block ${k + 1}` });
        else if (b.label === 'X509 CRL') crls.push(b.der);
        else throw new VerifyError('CERTS_INVALID', `certificate input #${n + 1} has an unexpected PEM block '${b.label}'`);
      });
      return;
    }
    let cert: X509Certificate | undefined;
    try {
      cert = pinnedCertByDer(blob) ?? new X509Certificate(Buffer.from(blob));
    } catch {
      cert = undefined;
    }
    if (cert !== undefined) certs.push({ der: blob, what: `certificate input #${n + 1}`, cert });
    else crls.push(blob); // not a certificate: it must be a CRL (parseSnpCrl says so if it is not)
  });
  return { certs, crls };
}

/** Normalizes either input form; duplicates (same DER) are dropped, roles come from the subject CN. */
export function sortSnpCerts(input: SnpCertInput): SortedSnpCerts {
  if (!Array.isArray(input)) {
    const o = input as Exclude<SnpCertInput, readonly Uint8Array[]>;
    usable(o.vek, 'the VCEK/VLEK');
    if (o.ask !== undefined) usable(o.ask, 'the ASK/ASVK');
    if (o.ark !== undefined) usable(o.ark, 'the ARK');
    const vr = roleOf(o.vek);
    const ask = o.ask === undefined ? [] : [{ cert: o.ask, role: roleOf(o.ask) === 'asvk' ? ('asvk' as const) : ('ask' as const) }];
    return {
      veks: [{ cert: o.vek, role: vr === 'vcek' || vr === 'vlek' ? vr : undefined }],
      intermediates: ask,
      arks: o.ark === undefined ? [] : [o.ark],
      crl: o.crl === undefined ? undefined : parseSnpCrl(o.crl),
    };
  }
  const { certs, crls } = splitBlobs(input as readonly Uint8Array[]);
  if (crls.length > 1) throw new VerifyError('CERTS_INVALID', `got ${crls.length} CRLs, want at most one`);
  const seen = new Set<string>();
  const veks: Array<{ cert: X509Certificate; role: 'vcek' | 'vlek' | undefined }> = [];
  const intermediates: Array<{ cert: X509Certificate; role: 'ask' | 'asvk' }> = [];
  const arks: X509Certificate[] = [];
  for (const c of certs) {
    const key = Buffer.from(c.der).toString('base64');
    if (seen.has(key)) continue;
    seen.add(key);
    const cert = c.cert !== undefined ? usable(c.cert, c.what) : (pinnedCertByDer(c.der) ?? parseCert(c.der, c.what));
    const role: AmdCertRole | undefined = roleOf(cert);
    if (role === 'vcek' || role === 'vlek') veks.push({ cert, role });
    else if (role === 'ask' || role === 'asvk') intermediates.push({ cert, role });
    else if (role === 'ark') arks.push(cert);
    else throw new VerifyError('CERTS_INVALID', `${c.what} is not an AMD SEV certificate (subject ${cert.subject.replace(/\n/g, ', ')})`);
  }
  return { veks, intermediates, arks, crl: crls[0] === undefined ? undefined : parseSnpCrl(crls[0]) };
}
