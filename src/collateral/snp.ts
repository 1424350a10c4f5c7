import { toHex } from '../common/bytes.js';
import { decodeTcb, parseSnpReport, type SnpReport } from '../evidence/snp/index.js';
import { CollateralError } from './errors.js';
import { hwidBytesFor } from './kds_provider.js';
import { getAll } from './parallel.js';
import { type AmdProduct, type CollateralItem, type CollateralProvider, type CollateralRequest } from './types.js';

/**
 * Gathers what an SEV-SNP report needs from AMD KDS: the VCEK for its chip and reported TCB,
 * the ASK+ARK chain and the AMD CRL (or, for a VLEK-signed report, the ASVK+ARK chain).
 */
export interface SnpCollateral {
  readonly product: AmdProduct;
  readonly signingKey: 'vcek' | 'vlek';
  /** The VCEK (PEM). Absent for VLEK-signed reports: KDS serves VLEKs only to the cloud provider. */
  readonly vekPem?: string;
  /** AS(V)K then ARK, as KDS served them. */
  readonly chainPem: string;
  /** The AMD CRL (PEM); fetched for VCEK-signed reports. */
  readonly crlPem?: string;
  /** Earliest validity of the fetched items. */
  readonly validUntil?: Date;
}

export interface FetchSnpOptions {
  /** Product line when the report does not say (version 2 reports carry no CPUID). */
  readonly product?: AmdProduct;
  readonly signal?: AbortSignal;
}

/**
 * Product line from the report's CPUID family/model (report version >= 3). Family 0x19
 * models 0x00-0x0f are Milan, 0x10-0x1f and 0xa0-0xaf (Bergamo/Siena) Genoa; family 0x1a is
 * Turin. After go-sev-guest kds/kds.go ProductLineCpuid and virtee/sev src/firmware/host
 * ProcessorGeneration; Bergamo/Siena share Genoa's KDS product.
 */
export function productFromCpuid(cpuid: SnpReport['cpuid']): AmdProduct | undefined {
  if (cpuid === undefined) return undefined;
  const { family, model } = cpuid;
  if (family === 0x19 && model <= 0x0f) return 'Milan';
  if (family === 0x19 && ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))) return 'Genoa';
  if (family === 0x1a && model <= 0x1f) return 'Turin';
  return undefined;
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function resolveProduct(report: SnpReport, hint: AmdProduct | undefined): AmdProduct {
  const fromReport = productFromCpuid(report.cpuid);
  if (fromReport !== undefined && hint !== undefined && fromReport !== hint) {
    throw new CollateralError('COLLATERAL_REQUEST_INVALID', `SEV-SNP product check: the report's CPUID says ${fromReport}, the caller said ${hint}`, {
      detail: { got: hint, want: fromReport },
    });
  }
  const product = fromReport ?? hint;
  if (product === undefined) {
    const why = report.cpuid === undefined ? `report version ${report.version} carries no CPUID` : `unknown CPUID family 0x${report.cpuid.family.toString(16)} model 0x${report.cpuid.model.toString(16)}`;
    throw new CollateralError('COLLATERAL_SNP_PRODUCT_UNKNOWN', `cannot tell the AMD product line: ${why}; pass the product (Milan, Genoa or Turin; CLI: --product)`, { detail: { version: report.version } });
  }
  return product;
}

function earliest(items: readonly CollateralItem[]): Date | undefined {
  const times = items.flatMap((i) => (i.validUntil === undefined ? [] : [i.validUntil.getTime()]));
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

export async function fetchSnpCollateral(input: SnpReport | Uint8Array, provider: CollateralProvider, o: FetchSnpOptions = {}): Promise<SnpCollateral> {
  const report = input instanceof Uint8Array ? parseSnpReport(input) : input;
  const product = resolveProduct(report, o.product);
  const get = (req: CollateralRequest): Promise<CollateralItem> => provider.get(req, o.signal);

  if (report.signingKey === 'vlek') {
    const chain = await get({ kind: 'amdCertChain', product, keyType: 'vlek' });
    return { product, signingKey: 'vlek', chainPem: chainText(chain), ...withValidity([chain]) };
  }
  if (report.signingKey !== 'vcek') {
    throw new CollateralError('COLLATERAL_SNP_SIGNER_UNSUPPORTED', 'the SEV-SNP report is not signed (SIGNING_KEY = none): there is no endorsement key to fetch', {
      detail: { signingKey: report.signingKey },
    });
  }
  const hwid = report.chipId.subarray(0, hwidBytesFor(product));
  if (report.maskChipKey || hwid.every((b) => b === 0)) {
    throw new CollateralError('COLLATERAL_SNP_SIGNER_UNSUPPORTED', 'the report masks its chip ID (MASK_CHIP_KEY), so KDS cannot look up its VCEK; supply the VCEK from the host', {
      detail: { maskChipKey: report.maskChipKey },
    });
  }
  const vekReq: CollateralRequest = { kind: 'amdVek', product, hwid: toHex(hwid), tcb: decodeTcb(report.reportedTcb, product) };
  const [vek, chain, crl] = (await getAll(provider, [vekReq, { kind: 'amdCertChain', product, keyType: 'vcek' }, { kind: 'amdCrl', product }], o.signal)) as [
    CollateralItem,
    CollateralItem,
    CollateralItem,
  ];
  return {
    product,
    signingKey: 'vcek',
    vekPem: pem('CERTIFICATE', vek.bytes),
    chainPem: chainText(chain),
    crlPem: pem('X509 CRL', crl.bytes),
    ...withValidity([vek, chain, crl]),
  };
}

function chainText(item: CollateralItem): string {
  return item.text ?? Buffer.from(item.bytes).toString('utf8');
}

function withValidity(items: readonly CollateralItem[]): { validUntil?: Date } {
  const v = earliest(items);
  return v === undefined ? {} : { validUntil: v };
}

/** One PEM file for `cloister evidence verify --certs`: VEK, AS(V)K, ARK, then the CRL. */
export function snpCollateralPem(c: SnpCollateral): string {
  const parts = [c.vekPem, c.chainPem, c.crlPem].filter((p): p is string => p !== undefined).map((p) => (p.endsWith('\n') ? p : `${p}\n`));
  return parts.join('');
}
