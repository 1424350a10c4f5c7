/**
 * The demo's record of what it checked: one PASS/FAIL line per step as it happens, and the
 * summary at the end (`--once` exits 0 only when every check passed).
 */
export interface Checklist {
  pass(what: string): void;
  fail(what: string, why: string): void;
  /** runs `fn`; a thrown error is a FAIL with its message */
  check(what: string, fn: () => Promise<string | void>): Promise<boolean>;
  summary(): string[];
  allPassed(): boolean;
}

export function createChecklist(print: (line: string) => void): Checklist {
  const results: Array<{ ok: boolean; line: string }> = [];
  const record = (ok: boolean, line: string): void => {
    results.push({ ok, line });
    print(`${ok ? 'PASS' : 'FAIL'}  ${line}`);
  };
  const self: Checklist = {
    pass: (what) => record(true, what),
    fail: (what, why) => record(false, `${what}: ${why}`),
    async check(what, fn) {
      try {
        const detail = await fn();
        self.pass(detail === undefined || detail === '' ? what : `${what} (${detail})`);
        return true;
      } catch (e) {
        self.fail(what, e instanceof Error ? e.message : String(e));
        return false;
      }
    },
    summary: () => {
      const passed = results.filter((r) => r.ok).length;
      return [...results.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.line}`), `${passed}/${results.length} checks passed`];
    },
    allPassed: () => results.length > 0 && results.every((r) => r.ok),
  };
  return self;
}
