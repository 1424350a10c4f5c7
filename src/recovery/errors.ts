import { CloisterError } from '../common/errors.js';
import type { RecoveryCode } from './codes.js';

/** Any failure of recovery: splitting, share parsing and checking, share encryption. */
export class RecoveryError extends CloisterError<RecoveryCode> {}
