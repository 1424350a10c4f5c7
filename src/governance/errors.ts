import { CloisterError } from '../common/errors.js';
import type { GovernanceCode } from './codes.js';

/** Any failure of governance: model validation, authorization, proposals, approvals, signed requests. */
export class GovernanceError extends CloisterError<GovernanceCode> {}
