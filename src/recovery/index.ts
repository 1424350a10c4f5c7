/** Public API of recovery: Shamir secret sharing of the data key and share encryption (docs/governance.md). */
export { RECOVERY_CODES, type RecoveryCode } from './codes.js';
export { RecoveryError } from './errors.js';
export { MAX_SECRET_BYTES, MIN_SECRET_BYTES, decodeShare, encodeShare, secretCheck, shareDigest, type Share } from './share.js';
export { combineShares, splitSecret, type ShareSetInfo } from './shamir.js';
export { decodeShareSetInfo, encodeShareSetInfo } from './share_set_info.js';
export { decryptShare, encryptShare, recoveryKeyFingerprint } from './envelope.js';
export { RecoverySession, type RecoveryProgress } from './session.js';
