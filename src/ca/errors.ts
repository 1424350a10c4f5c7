import { CloisterError } from '../common/errors.js';
import type { CaCode } from './codes.js';

/** Any failure of the certificate authority: CSRs, keys, names, lifetimes, snapshots. */
export class CaError extends CloisterError<CaCode> {}
