import type { CodeTable } from '../common/errors.js';

/** Codes of the command line's own checks (UsageError; exit code 2). */
export const CLI_CODES = {
  USAGE_ERROR: 'A command-line flag or argument is missing or has a wrong value (see --help).',
  INPUT_UNREADABLE: 'An input file cannot be read: missing, not a regular file, unreadable, or larger than the limit.',
} as const satisfies CodeTable;
