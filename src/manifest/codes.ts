import type { CodeTable } from '../common/errors.js';

/** Codes of the manifest layer: schema validation, durations, templates, canonical JSON. */
export const MANIFEST_CODES = {
  MANIFEST_INVALID:
    'The manifest is not valid JSON/YAML or breaks the schema; detail.issues lists every problem with its exact path.',
  DURATION_INVALID: "A duration is not a positive whole number of units like '90s', '90m', '24h', '7d' or '1h30m'.",
  TEMPLATE_SYNTAX_INVALID: 'A template has an unclosed {{, an empty expression or an expression that is not a reference.',
  TEMPLATE_REFERENCE_UNKNOWN: 'A template references a secret, field or format that does not exist for it.',
  TEMPLATE_VALUE_MISSING: 'A template references a declared value that the render context does not hold (e.g. an unset user secret).',
  TEMPLATE_VALUE_NOT_TEXT: 'A template rendered for an environment variable or argument contains a NUL byte.',
} as const satisfies CodeTable;

export type ManifestCode = keyof typeof MANIFEST_CODES;
