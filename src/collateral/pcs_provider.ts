import { httpGet, type HttpOptions, type HttpResponse } from './http.js';
import { crlItem, signedJsonItem } from './items.js';
import { CollateralError } from './errors.js';
import { extractSignedJson } from './signed_json.js';
import type { CollateralItem, CollateralProvider, CollateralRequest, DcapTee } from './types.js';
import { invalidRequest, joinUrl, parseBaseUrl } from './url.js';

/**
 * Intel PCS v4 / PCCS client for DCAP collateral (Intel "Provisioning Certification Service
 * for ECDSA Attestation" API v4; the same paths as go-tdx-guest pcs/pcs.go and
 * dcap-qvl src/collateral.rs). A PCCS exposes the same paths under its own base URL.
 *
 *   {base}/{sgx|tdx}/certification/v4/tcb?fmspc=HEX      header TCB-Info-Issuer-Chain
 *   {base}/{sgx|tdx}/certification/v4/qe/identity        header SGX-Enclave-Identity-Issuer-Chain
 *   {base}/sgx/certification/v4/pckcrl?ca=..&encoding=der header SGX-PCK-CRL-Issuer-Chain
 *   {rootCaCrlUrl}                                       DER CRL of the Intel SGX Root CA
 *
 * Issuer chains arrive URL-encoded (percent-encoded PEM) in response headers.
 */
export const INTEL_PCS_URL = 'https://api.trustedservices.intel.com';
export const INTEL_ROOT_CA_CRL_URL = 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der';

/** A PCCS serves the root CA CRL itself (as hex text) at this path under its base URL. */
export function pccsRootCaCrlUrl(pccsBase: URL | string): URL {
  return joinUrl(parseBaseUrl(pccsBase, 'PCCS URL'), '/sgx/certification/v4/rootcacrl');
}

export interface PcsProviderOptions extends HttpOptions {
  /** PCS or PCCS base URL (default Intel PCS). */
  readonly baseUrl?: URL | string;
  /** Where the root CA CRL is fetched (default Intel's certificates host; for a PCCS see pccsRootCaCrlUrl). */
  readonly rootCaCrlUrl?: URL | string;
  /** Called before each request goes out, with the request and the URL (progress lines). */
  readonly onFetch?: (req: CollateralRequest, url: string) => void;
}

/** Header names per item; PCCS (and PCS v3) spell the TCB one with an SGX- prefix. */
const ISSUER_CHAIN_HEADERS = {
  tcbInfo: ['TCB-Info-Issuer-Chain', 'SGX-TCB-Info-Issuer-Chain'],
  qeIdentity: ['SGX-Enclave-Identity-Issuer-Chain'],
  pckCrl: ['SGX-PCK-CRL-Issuer-Chain'],
} as const;

/** The identity id Intel puts in each TEE's QE identity (QE for SGX, TD_QE for TDX). */
const QE_IDENTITY_ID: Record<DcapTee, string> = { sgx: 'QE', tdx: 'TD_QE' };

function issuerChain(res: HttpResponse, names: readonly string[]): string {
  for (const name of names) {
    const raw = res.headers.get(name);
    if (raw === null) continue;
    try {
      return decodeURIComponent(raw);
    } catch (cause) {
      throw new CollateralError('COLLATERAL_RESPONSE_MALFORMED', `header ${name} from ${res.url} is not valid percent-encoding`, { detail: { url: res.url }, cause });
    }
  }
  throw new CollateralError('COLLATERAL_RESPONSE_MALFORMED', `response from ${res.url} lacks the issuer chain header (${names.join(' or ')})`, {
    detail: { url: res.url, header: names[0] },
  });
}

function mismatch(what: string, got: unknown, want: string, url: string): never {
  throw new CollateralError('COLLATERAL_RESPONSE_MISMATCH', `${what} check: got ${String(got)}, want ${want} (from ${url})`, {
    detail: { url, got, want },
  });
}

export function pcsProvider(o: PcsProviderOptions): CollateralProvider {
  const base = parseBaseUrl(o.baseUrl ?? INTEL_PCS_URL, 'PCS/PCCS URL');
  const rootCrlUrl = parseBaseUrl(o.rootCaCrlUrl ?? INTEL_ROOT_CA_CRL_URL, 'root CA CRL URL');
  const http: HttpOptions = { ...o };

  const fetchFor = async (req: CollateralRequest, url: URL, signal?: AbortSignal): Promise<HttpResponse> => {
    o.onFetch?.(req, url.href);
    return httpGet(url, http, signal);
  };

  const signedJson = async (req: CollateralRequest & { kind: 'tcbInfo' | 'qeIdentity' }, url: URL, signal?: AbortSignal) => {
    const res = await fetchFor(req, url, signal);
    const chain = issuerChain(res, ISSUER_CHAIN_HEADERS[req.kind]);
    const body = Buffer.from(res.body).toString('utf8');
    const { text, signature } = extractSignedJson(body, req.kind === 'tcbInfo' ? 'tcbInfo' : 'enclaveIdentity', res.url);
    return signedJsonItem(req.kind, text, signature, chain, res.url);
  };

  return {
    async get(req: CollateralRequest, signal?: AbortSignal): Promise<CollateralItem> {
      switch (req.kind) {
        case 'tcbInfo': {
          if (!/^[0-9a-fA-F]{12}$/.test(req.fmspc)) invalidRequest(`FMSPC must be 12 hex digits, got '${req.fmspc}'`, { fmspc: req.fmspc });
          const fmspc = req.fmspc.toLowerCase();
          const url = joinUrl(base, `/${req.tee}/certification/v4/tcb`, { fmspc });
          const { item, parsed } = await signedJson(req, url, signal);
          // Cheap consistency checks against a misrouted or swapped answer (and cache
          // poisoning through one); verify/ still checks the signature and every field.
          if (typeof parsed.fmspc !== 'string' || parsed.fmspc.toLowerCase() !== fmspc) mismatch('tcbInfo.fmspc', parsed.fmspc, fmspc, item.source);
          const wantId = req.tee === 'tdx' ? 'TDX' : 'SGX';
          if ((parsed.id !== undefined || req.tee === 'tdx') && parsed.id !== wantId) mismatch('tcbInfo.id', parsed.id, wantId, item.source);
          return item;
        }
        case 'qeIdentity': {
          const url = joinUrl(base, `/${req.tee}/certification/v4/qe/identity`);
          const { item, parsed } = await signedJson(req, url, signal);
          const wantId = QE_IDENTITY_ID[req.tee];
          if (parsed.id !== undefined && parsed.id !== wantId) mismatch('enclaveIdentity.id', parsed.id, wantId, item.source);
          return item;
        }
        case 'pckCrl': {
          if (req.ca !== 'processor' && req.ca !== 'platform') invalidRequest(`PCK CA must be processor or platform, got '${String(req.ca)}'`);
          // The PCK CRL lives under the sgx path for TDX platforms too (PCS v4 API).
          const url = joinUrl(base, '/sgx/certification/v4/pckcrl', { ca: req.ca, encoding: 'der' });
          const res = await fetchFor(req, url, signal);
          return crlItem('pckCrl', res.body, res.url, issuerChain(res, ISSUER_CHAIN_HEADERS.pckCrl));
        }
        case 'rootCaCrl': {
          const res = await fetchFor(req, rootCrlUrl, signal);
          return crlItem('rootCaCrl', res.body, res.url);
        }
        default:
          throw new CollateralError('COLLATERAL_REQUEST_UNSUPPORTED', `Intel PCS/PCCS does not serve ${req.kind} collateral`, { detail: { kind: req.kind } });
      }
    },
  };
}
