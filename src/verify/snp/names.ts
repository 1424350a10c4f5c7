import type { X509Certificate } from 'node:crypto';
import type { SnpProduct } from '../types.js';

/** The role a certificate plays in an AMD SEV-SNP chain, read from its subject CN. */
export type AmdCertRole = 'vcek' | 'vlek' | 'ask' | 'asvk' | 'ark';

/** The CN attribute of an X.509 name as node prints it ("...\nCN=SEV-Milan"). */
export function commonName(name: string): string | undefined {
  for (const line of name.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/**
 * 'Milan', 'Milan-B0', 'SEV-Milan', 'SEV-VLEK-Milan', 'ARK-Milan' -> Milan. AMD KDS names the
 * product with an optional stepping suffix in the VCEK productName extension (go-sev-guest
 * kds/kds.go ParseProductName) and in the CNs of the CA certificates.
 */
export function productFromName(name: string | undefined): SnpProduct | undefined {
  if (name === undefined) return undefined;
  const m = /^(?:ARK-|SEV-VLEK-|SEV-)?(Milan|Genoa|Turin)(?:-[A-Z][0-9])?$/.exec(name);
  return m === null ? undefined : (m[1] as SnpProduct);
}

/** AMD CNs: SEV-VCEK, SEV-VLEK, SEV-<Product> (ASK), SEV-VLEK-<Product> (ASVK), ARK-<Product>. */
export function roleOf(cert: X509Certificate): AmdCertRole | undefined {
  const cn = commonName(cert.subject);
  if (cn === 'SEV-VCEK') return 'vcek';
  if (cn === 'SEV-VLEK') return 'vlek';
  if (cn === undefined) return undefined;
  if (cn.startsWith('ARK-')) return 'ark';
  if (cn.startsWith('SEV-VLEK-')) return 'asvk';
  if (cn.startsWith('SEV-')) return 'ask';
  return undefined;
}

export function productOfCa(cert: X509Certificate): SnpProduct | undefined {
  return productFromName(commonName(cert.subject));
}
