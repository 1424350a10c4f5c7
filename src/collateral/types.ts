/**
 * What the collateral layer asks for and what it hands back. One tagged request type for
 * every service (after trustee deps/verifier/src/intel_dcap/collateral_service.rs, one
 * `get(CollateralType)`), so the offline bundle, the HTTP clients and the cache are
 * interchangeable behind `CollateralProvider`.
 */

export type DcapTee = 'sgx' | 'tdx';
export type PckCa = 'processor' | 'platform';
export type AmdProduct = 'Milan' | 'Genoa' | 'Turin';
export const AMD_PRODUCTS: readonly AmdProduct[] = ['Milan', 'Genoa', 'Turin'];

/** SPL components of a reported TCB as the KDS query names them; `fmc` exists on Turin only. */
export interface AmdTcb {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  readonly fmc?: number;
}

export type CollateralRequest =
  /** `fmspc`: 12 hex digits (6 bytes), any case; providers send it lowercase. */
  | { readonly kind: 'tcbInfo'; readonly tee: DcapTee; readonly fmspc: string }
  | { readonly kind: 'qeIdentity'; readonly tee: DcapTee }
  | { readonly kind: 'pckCrl'; readonly ca: PckCa }
  | { readonly kind: 'rootCaCrl' }
  /** `hwid`: hex of the chip ID as KDS wants it (64 bytes; Turin: the first 8 bytes). */
  | { readonly kind: 'amdVek'; readonly product: AmdProduct; readonly hwid: string; readonly tcb: AmdTcb }
  | { readonly kind: 'amdCertChain'; readonly product: AmdProduct; readonly keyType: 'vcek' | 'vlek' }
  | { readonly kind: 'amdCrl'; readonly product: AmdProduct };

export type CollateralKind = CollateralRequest['kind'];

/**
 * One piece of collateral, exactly as the service served it.
 * - tcbInfo / qeIdentity: `text` is the exact signed inner JSON object text (never
 *   re-serialized), `signature` its hex r||s, `issuerChainPem` the signing chain.
 * - pckCrl / rootCaCrl / amdCrl: `bytes` is the DER CRL (PEM input is decoded to DER);
 *   pckCrl carries its issuer chain.
 * - amdVek: `bytes` is the DER certificate. amdCertChain: `text` is the PEM (AS(V)K then ARK).
 */
export interface CollateralItem {
  readonly kind: CollateralKind;
  readonly bytes: Uint8Array;
  readonly text?: string;
  readonly signature?: string;
  readonly issuerChainPem?: string;
  /** Earliest nextUpdate / notAfter found in the item and its issuer chain (drives caching). */
  readonly validUntil?: Date;
  /** Where it came from: a URL, 'bundle', or 'cache:' + the original source. */
  readonly source: string;
  /** Set only by a cache configured with `serveStale: true` when it served an expired entry. */
  readonly stale?: boolean;
}

export interface CollateralProvider {
  get(req: CollateralRequest, signal?: AbortSignal): Promise<CollateralItem>;
}

/**
 * The collateral bundle of DESIGN.md (the field names of Intel QVL's collateral struct and
 * dcap-qvl's QuoteCollateralV3 JSON): PEM chains, CRLs as hex DER (PEM accepted on input),
 * tcb_info / qe_identity as the exact signed JSON text, signatures as hex r||s.
 * `null` marks an item the source did not have (vectors' collateral.normalized.json).
 */
export interface CollateralBundle {
  pck_crl_issuer_chain: string | null;
  root_ca_crl: string | null;
  pck_crl: string | null;
  tcb_info_issuer_chain: string;
  tcb_info: string;
  tcb_info_signature: string;
  qe_identity_issuer_chain: string;
  qe_identity: string;
  qe_identity_signature: string;
}

/** The bundle's fields in their canonical order (for writing files people diff). */
export const BUNDLE_FIELDS = [
  'pck_crl_issuer_chain',
  'root_ca_crl',
  'pck_crl',
  'tcb_info_issuer_chain',
  'tcb_info',
  'tcb_info_signature',
  'qe_identity_issuer_chain',
  'qe_identity',
  'qe_identity_signature',
] as const satisfies ReadonlyArray<keyof CollateralBundle>;

/** A short human name of a request, for progress lines and error messages. */
export function describeRequest(req: CollateralRequest): string {
  switch (req.kind) {
    case 'tcbInfo':
      return `${req.tee.toUpperCase()} TCB info for FMSPC ${req.fmspc.toLowerCase()}`;
    case 'qeIdentity':
      return `${req.tee.toUpperCase()} QE identity`;
    case 'pckCrl':
      return `PCK CRL (${req.ca} CA)`;
    case 'rootCaCrl':
      return 'Intel SGX root CA CRL';
    case 'amdVek':
      return `${req.product} VCEK for hwid ${req.hwid.slice(0, 16)}...`;
    case 'amdCertChain':
      return `${req.product} ${req.keyType === 'vcek' ? 'ASK' : 'ASVK'}+ARK chain`;
    case 'amdCrl':
      return `${req.product} AMD CRL`;
  }
}
