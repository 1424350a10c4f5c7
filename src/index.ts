/**
 * Cloister's public library API. Only named re-exports; layers' internals are not exported.
 */
export { CloisterError, isCloisterError } from './common/errors.js';
export { EvidenceError } from './evidence/errors.js';
export { VerifyError, PolicyError } from './verify/errors.js';
export type * from './verify/types.js';
