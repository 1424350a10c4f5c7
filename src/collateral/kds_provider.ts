import { CollateralError } from './errors.js';
import { httpGet, type HttpOptions } from './http.js';
import { certChainItem, certItem, crlItem } from './items.js';
import { AMD_PRODUCTS, type AmdProduct, type AmdTcb, type CollateralItem, type CollateralProvider, type CollateralRequest } from './types.js';
import { invalidRequest, joinUrl, parseBaseUrl } from './url.js';

/**
 * AMD Key Distribution Service client (AMD "Versioned Chip Endorsement Key (VCEK) Certificate
 * and KDS Interface Specification" 57230; URL shapes as in go-sev-guest kds/kds.go):
 *
 *   {base}/vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=   DER VCEK
 *     Turin: ?fmcSPL=&blSPL=&teeSPL=&snpSPL=&ucodeSPL= and hwid = first 8 bytes of CHIP_ID
 *   {base}/vcek/v1/{product}/cert_chain    PEM ASK then ARK
 *   {base}/vlek/v1/{product}/cert_chain    PEM ASVK then ARK
 *   {base}/vcek/v1/{product}/crl           DER CRL (revoked ASKs/VCEKs)
 *
 * SPL values are written as zero-padded 2-digit decimals ("blSPL=03"), the spelling of AMD's
 * own tooling (AMDESE/sev-tool src/sevcore_linux.cpp "%02d") and virtee/sev ("{:02}"); KDS
 * also accepts the unpadded form go-sev-guest kds/kds.go writes ("%d"), so either is safe.
 * VLEK certificates themselves are not served here: KDS hands them only to the cloud
 * provider (authenticated), and guests get them from the host with the report.
 */
export const AMD_KDS_URL = 'https://kdsintf.amd.com';

export interface KdsProviderOptions extends HttpOptions {
  readonly baseUrl?: URL | string;
  readonly onFetch?: (req: CollateralRequest, url: string) => void;
}

/** CHIP_ID is 64 bytes; Turin VCEKs are keyed by its first 8 (go-sev-guest kds.TurinHWIDSize). */
export function hwidBytesFor(product: AmdProduct): number {
  return product === 'Turin' ? 8 : 64;
}

function spl(name: string, v: number | undefined): string {
  if (v === undefined || !Number.isInteger(v) || v < 0 || v > 255) invalidRequest(`${name} must be an integer 0-255, got ${String(v)}`, { [name]: v });
  return String(v).padStart(2, '0');
}

function checkProduct(product: string): void {
  if (!(AMD_PRODUCTS as readonly string[]).includes(product)) invalidRequest(`AMD product must be one of ${AMD_PRODUCTS.join(', ')}, got '${product}'`, { product });
}

/** The VCEK query in KDS's parameter order (Turin puts fmcSPL first). */
export function vcekQuery(product: AmdProduct, tcb: AmdTcb): Record<string, string> {
  const common = { blSPL: spl('blSPL', tcb.bootloader), teeSPL: spl('teeSPL', tcb.tee), snpSPL: spl('snpSPL', tcb.snp), ucodeSPL: spl('ucodeSPL', tcb.microcode) };
  return product === 'Turin' ? { fmcSPL: spl('fmcSPL', tcb.fmc), ...common } : common;
}

export function kdsProvider(o: KdsProviderOptions): CollateralProvider {
  const base = parseBaseUrl(o.baseUrl ?? AMD_KDS_URL, 'KDS URL');
  const http: HttpOptions = { ...o };

  const fetchBody = async (req: CollateralRequest, url: URL, signal?: AbortSignal) => {
    o.onFetch?.(req, url.href);
    return httpGet(url, http, signal);
  };

  return {
    async get(req: CollateralRequest, signal?: AbortSignal): Promise<CollateralItem> {
      switch (req.kind) {
        case 'amdVek': {
          checkProduct(req.product);
          const want = hwidBytesFor(req.product) * 2;
          if (req.hwid.length !== want || !/^[0-9a-fA-F]*$/.test(req.hwid)) {
            invalidRequest(`${req.product} hwid must be ${want} hex digits, got ${req.hwid.length} characters`, { hwid: req.hwid });
          }
          const url = joinUrl(base, `/vcek/v1/${req.product}/${req.hwid.toLowerCase()}`, vcekQuery(req.product, req.tcb));
          const res = await fetchBody(req, url, signal);
          return certItem(res.body, res.url);
        }
        case 'amdCertChain': {
          checkProduct(req.product);
          if (req.keyType !== 'vcek' && req.keyType !== 'vlek') invalidRequest(`key type must be vcek or vlek, got '${String(req.keyType)}'`);
          const res = await fetchBody(req, joinUrl(base, `/${req.keyType}/v1/${req.product}/cert_chain`), signal);
          return certChainItem(res.body, res.url);
        }
        case 'amdCrl': {
          checkProduct(req.product);
          const res = await fetchBody(req, joinUrl(base, `/vcek/v1/${req.product}/crl`), signal);
          return crlItem('amdCrl', res.body, res.url);
        }
        default:
          throw new CollateralError('COLLATERAL_REQUEST_UNSUPPORTED', `AMD KDS does not serve ${req.kind} collateral`, { detail: { kind: req.kind } });
      }
    },
  };
}
