import { CloisterError } from '../common/errors.js';
import type { CollateralCode } from './codes.js';

export { COLLATERAL_CODES, type CollateralCode } from './codes.js';

/**
 * Getting collateral failed (network, service answer, bundle, cache). Callers may treat these
 * as "unavailable" (e.g. retry later) as opposed to VerifyError ("not authentic").
 * `detail.url` names the service URL where one was involved.
 */
export class CollateralError extends CloisterError<CollateralCode> {}
