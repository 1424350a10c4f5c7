import { X509Certificate, createHash } from 'node:crypto';
import type { SnpProduct } from '../types.js';
import { VerifyError } from '../errors.js';
import * as genoa from './amd_roots_genoa.js';
import * as milan from './amd_roots_milan.js';
import * as turin from './amd_roots_turin.js';

export const SNP_PRODUCTS: readonly SnpProduct[] = ['Milan', 'Genoa', 'Turin'];

export interface AmdRootSet {
  readonly product: SnpProduct;
  /** AMD Root Key, self-signed */
  readonly ark: X509Certificate;
  /** AMD SEV Key (issues VCEKs) */
  readonly ask: X509Certificate;
  /** AMD SEV VLEK Key (issues VLEKs) */
  readonly asvk: X509Certificate;
}

/** PEM and SHA-256(DER) of every pinned AMD certificate, by product and role. */
export const AMD_PINNED = {
  Milan: {
    ark: { pem: milan.MILAN_ARK_PEM, sha256: milan.MILAN_ARK_SHA256 },
    ask: { pem: milan.MILAN_ASK_PEM, sha256: milan.MILAN_ASK_SHA256 },
    asvk: { pem: milan.MILAN_ASVK_PEM, sha256: milan.MILAN_ASVK_SHA256 },
  },
  Genoa: {
    ark: { pem: genoa.GENOA_ARK_PEM, sha256: genoa.GENOA_ARK_SHA256 },
    ask: { pem: genoa.GENOA_ASK_PEM, sha256: genoa.GENOA_ASK_SHA256 },
    asvk: { pem: genoa.GENOA_ASVK_PEM, sha256: genoa.GENOA_ASVK_SHA256 },
  },
  Turin: {
    ark: { pem: turin.TURIN_ARK_PEM, sha256: turin.TURIN_ARK_SHA256 },
    ask: { pem: turin.TURIN_ASK_PEM, sha256: turin.TURIN_ASK_SHA256 },
    asvk: { pem: turin.TURIN_ASVK_PEM, sha256: turin.TURIN_ASVK_SHA256 },
  },
} as const satisfies Record<SnpProduct, Record<'ark' | 'ask' | 'asvk', { pem: string; sha256: string }>>;

export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

const cache = new Map<SnpProduct, AmdRootSet>();

function load(product: SnpProduct, role: 'ark' | 'ask' | 'asvk'): X509Certificate {
  const pinned = AMD_PINNED[product][role];
  const cert = new X509Certificate(pinned.pem);
  // Fail closed if a constant was ever edited without its fingerprint (or the reverse).
  const got = sha256Hex(cert.raw);
  if (got !== pinned.sha256) {
    throw new VerifyError('ARK_NOT_TRUSTED', `pinned AMD ${product} ${role.toUpperCase()} fingerprint: got ${got}, want ${pinned.sha256}`);
  }
  return cert;
}

/** The pinned AMD certificates of one product line (parsed once, fingerprints checked on load). */
export function pinnedAmdRoots(product: SnpProduct): AmdRootSet {
  let set = cache.get(product);
  if (set === undefined) {
    set = { product, ark: load(product, 'ark'), ask: load(product, 'ask'), asvk: load(product, 'asvk') };
    cache.set(product, set);
  }
  return set;
}

let byDer: Map<string, X509Certificate> | undefined;

/**
 * The already parsed pinned certificate with exactly these DER bytes, if any: supplied ARKs and
 * ASKs are usually the pinned ones, and parsing a certificate costs about as much as verifying
 * a signature, so a byte match reuses the pinned object instead.
 */
export function pinnedCertByDer(der: Uint8Array): X509Certificate | undefined {
  if (byDer === undefined) {
    byDer = new Map();
    for (const p of SNP_PRODUCTS) {
      const set = pinnedAmdRoots(p);
      for (const c of [set.ark, set.ask, set.asvk]) byDer.set(c.raw.toString('latin1'), c);
    }
  }
  return byDer.get(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1'));
}
