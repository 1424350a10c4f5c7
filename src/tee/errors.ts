import { CloisterError } from '../common/errors.js';
import type { TeeCode } from './codes.js';

/** Producing evidence or measurements failed (device missing, I/O, races, bad local state). */
export class TeeError extends CloisterError<TeeCode> {}
