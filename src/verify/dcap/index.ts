/**
 * DCAP (SGX + TDX) quote verification: PCK chain and CRLs, QE report, quote signature,
 * collateral (TCB info, QE identity), TCB level. Pure: `now` and collateral are inputs.
 */
export { verifyDcapQuote, createDcapVerifier, type DcapVerifier, type DcapVerifyContext } from './verify.js';
export { prepareCollateral, type PreparedCollateral, type PrepareOptions } from './collateral.js';
export { parseCollateralBundle, type CollateralBundle } from './bundle.js';
export { parsePckExtensions, OID_SGX_EXTENSION, type PckExtensions } from './pck_extensions.js';
export { INTEL_SGX_ROOT_CA, INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256, DEFAULT_DCAP_TRUST_ROOTS } from './roots.js';
export { parseTcbInfo, type TcbInfo, type TcbLevel } from './tcb_info.js';
export { parseQeIdentity, type QeIdentity } from './qe_identity.js';
export { parseCrl, type ParsedCrl } from './crl.js';
export { convergeStatus } from './tcb_status.js';
export { DCAP_VERIFY_CODES } from './codes.js';
