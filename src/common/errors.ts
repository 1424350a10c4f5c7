/**
 * The one error shape of Cloister. Every layer has its own subclass (EvidenceError,
 * VerifyError, PolicyError, CollateralError, ...) with a closed union of stable codes.
 * Codes are SCREAMING_SNAKE, never renamed, and documented in docs/errors.md (a test
 * checks that file against the code tables).
 */
export class CloisterError<C extends string = string> extends Error {
  readonly code: C;
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options?: { detail?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = options?.detail;
  }

  /** A plain, log- and JSON-safe view: never includes the stack. */
  toJSON(): { code: C; message: string; detail?: Readonly<Record<string, unknown>> } {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

export function isCloisterError(e: unknown): e is CloisterError {
  return e instanceof CloisterError;
}

/**
 * A table of codes with a one-line description each. Each area keeps one table next to
 * its code; docs/errors.md is generated from all tables (scripts/gen-error-docs.ts).
 */
export type CodeTable = Readonly<Record<string, string>>;
