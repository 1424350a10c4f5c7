import { CloisterError } from '../common/errors.js';
import type { AuditCode } from './codes.js';

/** Any failure of the audit log: appending, parsing and verifying entries. */
export class AuditError extends CloisterError<AuditCode> {}
