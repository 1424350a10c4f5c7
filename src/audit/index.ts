/** Public API of the signed, hash-chained audit log (docs/governance.md). */
export { AUDIT_CODES, type AuditCode } from './codes.js';
export { AuditError } from './errors.js';
export {
  AUDIT_ENTRY_LABEL,
  AUDIT_KINDS,
  GENESIS_HASH,
  MAX_DETAIL_BYTES,
  auditEntryHash,
  checkEntryInput,
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  type JsonValue,
} from './entry.js';
export { AUDIT_HEAD_LABEL, GENESIS_HEAD, auditHeadBytes, auditHeadDigest, decodeHead, encodeHead, type AuditHead } from './head.js';
export { AUDIT_SIGNATURE_LABEL, auditSigner, type AuditAlgorithm, type AuditSigner } from './signer.js';
export { checkAuditRecord, decodeAuditRecord, encodeAuditRecord, type AuditRecord } from './record.js';
export { AUDIT_ENTRY_PREFIX, AUDIT_HEAD_KEY, EMPTY_AUDIT_LOG, appendManyOps, appendOps, auditEntryKey, type StoredAuditHead } from './append.js';
export { verifyAuditLog, type VerifyAuditOptions } from './verify.js';
export { renderAuditJson, renderAuditLine, renderAuditLines } from './render.js';
