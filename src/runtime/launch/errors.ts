import { CloisterError } from '../../common/errors.js';
import type { LaunchCode } from './codes.js';

/** A failure of `cloister run` before (or while keeping alive) the workload's program. */
export class LaunchError extends CloisterError<LaunchCode> {}
