import { CloisterError } from '../common/errors.js';
import type { K8sCode } from './codes.js';

/** Every failure of the Kubernetes integration; webhook denials carry the code in their message. */
export class K8sError extends CloisterError<K8sCode> {}
