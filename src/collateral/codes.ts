import type { CodeTable } from '../common/errors.js';

/**
 * Stable codes for fetching and caching collateral (Intel PCS/PCCS, AMD KDS, offline bundles).
 * Never rename a code; add new ones. Codes say what went wrong on the way to the collateral,
 * never whether the collateral is trustworthy (that is verify/'s job).
 */
export const COLLATERAL_CODES = {
  COLLATERAL_REQUEST_INVALID: 'A collateral request has a malformed parameter (FMSPC, hwid, SPL value, product, URL).',
  COLLATERAL_REQUEST_UNSUPPORTED: 'The provider cannot serve this kind of collateral (e.g. AMD certificates from Intel PCS).',
  COLLATERAL_FETCH_FAILED: 'The collateral service could not be reached (connection refused, DNS, reset) after all retries.',
  COLLATERAL_TIMEOUT: 'The collateral service did not answer within the configured timeout.',
  COLLATERAL_ABORTED: 'The caller aborted the collateral request.',
  COLLATERAL_NOT_FOUND: 'The collateral service answered 404: it has no such item (unknown FMSPC, hwid or TCB).',
  COLLATERAL_HTTP_STATUS: 'The collateral service answered with an error status (4xx, or 5xx/429 after all retries).',
  COLLATERAL_RESPONSE_MALFORMED: 'A collateral response is malformed (body, JSON shape, DER, PEM or issuer-chain header).',
  COLLATERAL_RESPONSE_MISMATCH: 'A collateral response is well-formed but for something else than requested (FMSPC, TEE).',
  COLLATERAL_NOT_IN_BUNDLE: 'The offline collateral bundle does not hold the requested item.',
  COLLATERAL_BUNDLE_MALFORMED: 'The collateral bundle is not the JSON shape of DESIGN.md (QVL QuoteCollateralV3 fields).',
  COLLATERAL_CACHE_IO: 'The collateral cache directory could not be created or written.',
  COLLATERAL_QUOTE_UNSUPPORTED: 'The quote carries no PCK certificate chain (certification data type 5), so its collateral cannot be located.',
  COLLATERAL_SNP_PRODUCT_UNKNOWN: 'The SEV-SNP product (Milan/Genoa/Turin) cannot be told from the report; pass it explicitly.',
  COLLATERAL_SNP_SIGNER_UNSUPPORTED: 'The SEV-SNP report is signed by no endorsement key, or by one whose certificate KDS does not serve.',
} as const satisfies CodeTable;

export type CollateralCode = keyof typeof COLLATERAL_CODES;
