import { CloisterError } from '../common/errors.js';
import type { ClientCode } from './codes.js';

/** A failure of the coordinator client: transport, the coordinator's answer, or a check of it. */
export class ClientError extends CloisterError<ClientCode> {}
