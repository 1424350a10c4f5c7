/**
 * Collateral: getting Intel DCAP and AMD SEV-SNP collateral from services (PCS/PCCS, KDS),
 * offline bundles and an on-disk cache, behind one `CollateralProvider` interface. This is
 * the layer that does I/O; verify/ takes what it returns.
 */
export { COLLATERAL_CODES, CollateralError, type CollateralCode } from './errors.js';
export {
  AMD_PRODUCTS,
  BUNDLE_FIELDS,
  describeRequest,
  type AmdProduct,
  type AmdTcb,
  type CollateralBundle,
  type CollateralItem,
  type CollateralKind,
  type CollateralProvider,
  type CollateralRequest,
  type DcapTee,
  type PckCa,
} from './types.js';
export { httpGet, type HttpOptions, type HttpResponse } from './http.js';
export { pcsProvider, pccsRootCaCrlUrl, INTEL_PCS_URL, INTEL_ROOT_CA_CRL_URL, type PcsProviderOptions } from './pcs_provider.js';
export { kdsProvider, AMD_KDS_URL, vcekQuery, type KdsProviderOptions } from './kds_provider.js';
export { bundleProvider, parseBundle, serializeBundle } from './bundle_provider.js';
export { withCache, cacheKey, type CacheOptions } from './cache.js';
export { routeProvider } from './route.js';
export { fetchDcapCollateral, pckFacts, type FetchDcapOptions } from './dcap.js';
export { gatherDcapCollateral, assembleBundle, type DcapPlatform } from './gather.js';
export { fetchSnpCollateral, productFromCpuid, snpCollateralPem, type FetchSnpOptions, type SnpCollateral } from './snp.js';
