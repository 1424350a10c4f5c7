/**
 * Timing helpers for the benchmarks: warm-up, then several rounds of many iterations; the
 * figure is the median of the rounds' per-operation times (robust against a noisy machine).
 */
export interface Timing {
  /** median per-operation time, microseconds */
  readonly us: number;
  /** per-round per-operation times, microseconds */
  readonly rounds: readonly number[];
}

export interface TimingOptions {
  readonly warmupMs?: number;
  readonly roundMs?: number;
  readonly rounds?: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Calls `fn` for `ms` milliseconds in batches; returns per-call microseconds. */
function runFor(fn: () => unknown, ms: number): number {
  let n = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 10) batch *= 2;
  }
  return (elapsed * 1000) / n;
}

export function time(fn: () => unknown, o: TimingOptions = {}): Timing {
  runFor(fn, o.warmupMs ?? 300);
  const rounds: number[] = [];
  for (let r = 0; r < (o.rounds ?? 7); r++) rounds.push(runFor(fn, o.roundMs ?? 250));
  return { us: median(rounds), rounds };
}

/** Interleaves the measured functions round by round, so drift on a shared machine hits all alike. */
export function timeTogether<K extends string>(fns: Readonly<Record<K, () => unknown>>, o: TimingOptions = {}): Record<K, Timing> {
  const keys = Object.keys(fns) as K[];
  for (const k of keys) runFor(fns[k], o.warmupMs ?? 300);
  const rounds = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < (o.rounds ?? 7); r++) for (const k of keys) rounds[k].push(runFor(fns[k], o.roundMs ?? 250));
  return Object.fromEntries(keys.map((k) => [k, { us: median(rounds[k]), rounds: rounds[k] }])) as unknown as Record<K, Timing>;
}
