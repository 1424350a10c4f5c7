import { CloisterError } from '../common/errors.js';
import type { StoreCode } from './codes.js';

/** Any failure of the state store: keys, commits, files, sealing. */
export class StoreError extends CloisterError<StoreCode> {}
