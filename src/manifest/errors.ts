import { CloisterError } from '../common/errors.js';
import type { ManifestCode } from './codes.js';

/** One problem found while validating a manifest: a dotted path (e.g. `workloads.api.files./etc/x`) and what is wrong. */
export interface ManifestIssue {
  readonly path: string;
  readonly message: string;
}

/** The manifest, a template or a duration is invalid. `MANIFEST_INVALID` carries `detail.issues: ManifestIssue[]`. */
export class ManifestError extends CloisterError<ManifestCode> {}
