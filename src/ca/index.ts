/** Public API of the certificate authority (the only path other layers import). */
export { CA_CODES, type CaCode } from './codes.js';
export { CaError } from './errors.js';
export type { Ca, CaCert, Revocation, RevocationReason } from './ca_state.js';
export { BACKDATE_MS } from './ca_state.js';
export { KEY_TYPES, type CaKeyType, type KeyType } from './keys.js';
export type { Sans } from './names.js';
export { createCa, rollIntermediate, CA_KEY_TYPES, type CreateCaOptions } from './create_ca.js';
export { snapshotCa, loadCa, type CaSnapshot } from './snapshot.js';
export { issueLeaf, DEFAULT_LEAF_LIFETIME_MS, type IssueLeafOptions, type IssuedLeaf, type LeafKeySource } from './issue_leaf.js';
export { issueSecretCertificate, type SecretCertificateOptions, type SecretCertificate } from './secret_certificate.js';
export { revoke, isRevoked, buildCrl, type Crl } from './revocation.js';
export { csrFromKey, verifyCsr, type VerifiedCsr } from './csr.js';
