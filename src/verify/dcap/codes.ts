import type { CodeTable } from '../../common/errors.js';

/** Stable codes for DCAP (SGX/TDX) verification. Never rename; add new codes at the end. */
export const DCAP_VERIFY_CODES = {
  PCK_CHAIN_MISSING: 'The quote carries no PCK certificate chain (certification data is not type 5 / 6-wrapping-5).',
  PCK_CHAIN_INVALID: 'The PCK certificate chain is malformed, badly signed, or does not end at a trusted Intel root.',
  PCK_CERT_EXPIRED: 'A certificate of the PCK chain is outside its validity window at the verification time.',
  PCK_EXTENSION_INVALID: 'The PCK certificate SGX extension (OID 1.2.840.113741.1.13.1) is missing or malformed.',
  CRL_MISSING: 'A required CRL (root CA CRL or PCK CA CRL) is not in the collateral.',
  CRL_INVALID: 'A CRL is malformed, not signed by its issuer, or for another issuer.',
  CRL_EXPIRED: 'A CRL is outside its thisUpdate..nextUpdate window at the verification time.',
  CRL_REVOKED: 'A certificate of the chain is listed as revoked by its CRL.',
  COLLATERAL_MISSING: 'No collateral was supplied, or a required collateral item is absent.',
  COLLATERAL_INVALID: 'The collateral bundle is malformed (fields, encodings, JSON).',
  TCB_INFO_INVALID: 'The TCB info JSON is malformed or of an unsupported version/id.',
  TCB_INFO_SIGNATURE_INVALID: 'The TCB info signature or its issuer chain does not verify.',
  TCB_INFO_EXPIRED: 'The TCB info is outside its issueDate..nextUpdate window at the verification time.',
  TCB_INFO_MISMATCH: 'The TCB info is for another FMSPC, PCE ID or TEE type than the PCK certificate/quote.',
  QE_IDENTITY_INVALID: 'The QE identity JSON is malformed or of an unsupported version/id.',
  QE_IDENTITY_SIGNATURE_INVALID: 'The QE identity signature or its issuer chain does not verify.',
  QE_IDENTITY_EXPIRED: 'The QE identity is outside its issueDate..nextUpdate window at the verification time.',
  QE_IDENTITY_MISMATCH: 'The QE report does not match the QE identity (MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES).',
  QE_TCB_LEVEL_NOT_FOUND: 'The QE ISVSVN is below every TCB level of the QE identity.',
  QE_REPORT_SIGNATURE_INVALID: 'The QE report is not signed by the PCK certificate key.',
  QE_REPORT_BINDING_INVALID: 'QE report_data[0:32] is not SHA-256(attestation key || QE auth data).',
  QUOTE_SIGNATURE_INVALID: 'The quote is not signed by its attestation key.',
  TCB_LEVEL_NOT_FOUND: 'No TCB level of the TCB info is satisfied by the platform (SGX components, PCESVN, TDX components).',
  TDX_MODULE_IDENTITY_NOT_FOUND: 'The TDX module (MRSIGNERSEAM / SEAM attributes / TEE_TCB_SVN) matches no TDX module identity.',
} as const satisfies CodeTable;
