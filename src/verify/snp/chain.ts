import type { X509Certificate } from 'node:crypto';
import { VerifyError } from '../errors.js';
import type { SnpProduct } from '../types.js';
import { subjectDer } from './cert_der.js';
import { checkSnpCrl, normalizeSerial, type SnpCrl } from './crl.js';
import { commonName, productFromName, productOfCa } from './names.js';
import { pinnedAmdRoots, SNP_PRODUCTS } from './roots.js';
import { parseVekExtensions, type VekExtensions } from './vek_extensions.js';

export interface SnpChainInput {
  readonly vek: X509Certificate;
  readonly vekRole: 'vcek' | 'vlek';
  /** supplied ASKs/ASVKs (any product); a missing one is taken from the pinned set */
  readonly intermediates: ReadonlyArray<{ cert: X509Certificate; role: 'ask' | 'asvk' }>;
  /** supplied ARKs: each must equal a trusted ARK of the VEK's product */
  readonly arks: readonly X509Certificate[];
  readonly crl?: SnpCrl | undefined;
}

export interface SnpChainContext {
  readonly now: Date;
  /**
   * Extra trusted ARKs (self-signed, CN 'ARK-<Product>'), e.g. a test PKI. They are added to
   * the pinned AMD ARKs, never replace them, and count only for their own product line.
   */
  readonly trustedArks?: readonly X509Certificate[];
}

export interface VerifiedSnpChain {
  readonly product: SnpProduct;
  readonly vekRole: 'vcek' | 'vlek';
  readonly vek: X509Certificate;
  readonly intermediate: X509Certificate;
  readonly ark: X509Certificate;
  readonly extensions: VekExtensions;
}

function chainError(message: string, detail?: Record<string, unknown>): never {
  throw new VerifyError('VEK_CHAIN_INVALID', message, detail === undefined ? undefined : { detail });
}

/** Product from the VEK: productName extension ('Milan-B0' -> Milan) and issuer CN must agree. */
export function vekProduct(vek: X509Certificate, ext: VekExtensions): SnpProduct {
  const fromExt = productFromName(ext.productName);
  const fromIssuer = productFromName(commonName(vek.issuer));
  if (ext.productName !== undefined && fromExt === undefined) {
    throw new VerifyError('SNP_PRODUCT_UNKNOWN', `VCEK/VLEK productName '${ext.productName}' is not Milan, Genoa or Turin`);
  }
  if (fromExt !== undefined && fromIssuer !== undefined && fromExt !== fromIssuer) {
    throw new VerifyError('SNP_PRODUCT_UNKNOWN', `VCEK/VLEK productName says ${fromExt}, issuer says ${fromIssuer}`);
  }
  const p = fromExt ?? fromIssuer;
  if (p === undefined) throw new VerifyError('SNP_PRODUCT_UNKNOWN', `cannot tell the product of the VCEK/VLEK (issuer ${commonName(vek.issuer) ?? '?'})`);
  return p;
}

function checkWindow(cert: X509Certificate, what: string, now: Date): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (!(now >= from && now <= to)) {
    throw new VerifyError('VEK_CERT_EXPIRED', `${what} is not valid at ${now.toISOString()}: valid ${from.toISOString()} .. ${to.toISOString()}`, {
      detail: { cert: what, notBefore: from.toISOString(), notAfter: to.toISOString(), now: now.toISOString() },
    });
  }
}

function trustedArksFor(product: SnpProduct, extra: readonly X509Certificate[]): X509Certificate[] {
  return [pinnedAmdRoots(product).ark, ...extra.filter((a) => productOfCa(a) === product)];
}

/**
 * VCEK -> ASK -> ARK or VLEK -> ASVK -> ARK (RSASSA-PSS/SHA-384, checked by OpenSSL through
 * X509Certificate.verify), ARK pinned per product line, validity windows at `now`, and the
 * optional CRL (signature, window, ASK/ASVK and VEK serials). Stops at the first broken link.
 */
export function verifySnpChain(input: SnpChainInput, ctx: SnpChainContext): VerifiedSnpChain {
  const chain = verifySnpChainLinks(input, ctx);
  checkSnpChainAt(chain, input.crl, ctx.now);
  return chain;
}

/**
 * The time-independent part of verifySnpChain: names, products, trust and signatures. Its
 * result may be cached per exact certificate input; `checkSnpChainAt` must then run for every
 * verification (validity windows and the CRL depend on `now`).
 */
export function verifySnpChainLinks(input: SnpChainInput, ctx: Omit<SnpChainContext, 'now'>): VerifiedSnpChain {
  const { vek, vekRole } = input;
  const ext = parseVekExtensions(new Uint8Array(vek.raw));
  const product = vekProduct(vek, ext);
  const vekKey = vek.publicKey.asymmetricKeyDetails;
  if (vek.publicKey.asymmetricKeyType !== 'ec' || vekKey?.namedCurve !== 'secp384r1') {
    chainError(`${vekRole.toUpperCase()} key: got ${vek.publicKey.asymmetricKeyType ?? '?'} ${vekKey?.namedCurve ?? ''}, want EC P-384`);
  }
  const interRole = vekRole === 'vcek' ? 'ask' : 'asvk';
  const interName = interRole.toUpperCase();

  // The intermediate: a supplied one of the right role and product, else the pinned one.
  const ofRole = input.intermediates.filter((i) => i.role === interRole);
  const sameProduct = ofRole.filter((i) => productOfCa(i.cert) === product).map((i) => i.cert);
  if (ofRole.length > 0 && sameProduct.length === 0) {
    const got = ofRole.map((i) => productOfCa(i.cert) ?? '?').join(', ');
    chainError(`the supplied ${interName} is for ${got}, the ${vekRole.toUpperCase()} is ${product}`, { product, got });
  }
  const pinned = pinnedAmdRoots(product);
  const candidates = sameProduct.length > 0 ? sameProduct : [interRole === 'ask' ? pinned.ask : pinned.asvk];
  const intermediate = candidates.find((c) => vek.checkIssued(c)) ?? candidates[0]!;
  if (!vek.checkIssued(intermediate) || !vek.verify(intermediate.publicKey)) {
    chainError(`${vekRole.toUpperCase()} is not signed by the ${product} ${interName}${sameProduct.length === 0 ? ` (none supplied; used the pinned ${interName})` : ''}`);
  }
  if (intermediate.ca !== true) chainError(`the ${product} ${interName} is not a CA certificate`);

  // The ARK: only a trusted (pinned or explicitly passed) ARK of the same product line.
  const trusted = trustedArksFor(product, ctx.trustedArks ?? []);
  const isTrusted = (a: X509Certificate): boolean => trusted.some((t) => Buffer.compare(t.raw, a.raw) === 0);
  for (const a of input.arks) {
    if (!isTrusted(a)) {
      const p = productOfCa(a);
      throw new VerifyError('ARK_NOT_TRUSTED', `the supplied ARK (${commonName(a.subject) ?? '?'}) is not a pinned AMD ARK for ${product}${p !== undefined && p !== product ? ` (it is for ${p})` : ''}`);
    }
  }
  const arkCandidates = input.arks.length > 0 ? [...input.arks] : trusted.filter((a) => intermediate.checkIssued(a));
  if (arkCandidates.length === 0) {
    throw new VerifyError('ARK_NOT_TRUSTED', `the ${product} ${interName} (issuer ${commonName(intermediate.issuer) ?? '?'}) is not issued by a trusted ${product} ARK`);
  }
  const ark = arkCandidates.find((a) => intermediate.checkIssued(a) && intermediate.verify(a.publicKey));
  if (ark === undefined) {
    // With a supplied (trusted) ARK the ASK itself is broken; without one, nothing we trust signed it.
    if (input.arks.length > 0) chainError(`the ${product} ${interName} is not signed by the ${product} ARK`);
    throw new VerifyError('ARK_NOT_TRUSTED', `the ${product} ${interName} is not signed by any trusted ${product} ARK`);
  }
  // A pinned ARK is trusted by its exact bytes, so its self-signature proves nothing more (and
  // test/verify/snp/roots.test.ts checks it for every pinned ARK); an extra trusted ARK is checked.
  const pinnedArk = Buffer.compare(ark.raw, pinned.ark.raw) === 0;
  if (!ark.checkIssued(ark) || (!pinnedArk && !ark.verify(ark.publicKey))) chainError(`the ${product} ARK is not self-signed`);
  return { product, vekRole, vek, intermediate, ark, extensions: ext };
}

/** What depends on `now`: the three validity windows and the optional CRL (window, signature, serials). */
export function checkSnpChainAt(chain: VerifiedSnpChain, crl: SnpCrl | undefined, now: Date): void {
  const { product, vekRole, vek, intermediate, ark } = chain;
  const interName = vekRole === 'vcek' ? 'ASK' : 'ASVK';
  checkWindow(vek, vekRole.toUpperCase(), now);
  checkWindow(intermediate, `${product} ${interName}`, now);
  checkWindow(ark, `${product} ARK`, now);

  if (crl !== undefined) {
    checkSnpCrl(crl, ark, subjectDer(new Uint8Array(ark.raw)), now);
    for (const [cert, what] of [[intermediate, interName], [vek, vekRole.toUpperCase()]] as const) {
      const serial = normalizeSerial(cert.serialNumber);
      if (crl.revokedSerials.has(serial)) {
        throw new VerifyError('SNP_CERT_REVOKED', `the ${product} ${what} (serial ${serial}) is revoked by the AMD CRL`, { detail: { serial, cert: what } });
      }
    }
  }
}

export { SNP_PRODUCTS };
