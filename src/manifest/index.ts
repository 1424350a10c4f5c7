/** The manifest layer: schema + validation, canonical hash, templates, durations. */
export { MANIFEST_CODES, type ManifestCode } from './codes.js';
export { ManifestError, type ManifestIssue } from './errors.js';
export { parseManifest, validateManifest, type ManifestFormat } from './parse.js';
export { manifestSchema, type Manifest, type ManifestPackage, type ManifestWorkload, type ManifestSecret, type SecretType } from './schema.js';
export { manifestHash } from './hash.js';
export { canonicalJson } from '../common/jcs.js';
export { durationMs, tryDurationMs, MAX_DURATION_MS } from './duration.js';
export {
  parseTemplate,
  renderTemplate,
  templateReferences,
  formatsFor,
  SECRET_FORMATS,
  type ParsedTemplate,
  type SecretFormat,
  type SecretMaterial,
  type TemplateContext,
  type TemplateRef,
  type TemplateSegment,
} from './template.js';
export { epcBytes } from './quantity.js';
