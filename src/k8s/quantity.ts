import { K8sError } from './errors.js';

/**
 * Kubernetes resource quantities for memory-like resources (EPC): `536870912`, `512Mi`,
 * `1G`, `1.5Gi`, `1e9`. Grammar from kubernetes apimachinery pkg/api/resource/quantity.go
 * (decimal SI k M G T P E, binary Ki..Ei, decimal exponent e/E). Milli and smaller suffixes
 * (m, u, n) make no sense for bytes and are refused, as is any value that is not a whole
 * number of bytes: a silently rounded EPC request is a different request.
 */
const SUFFIX: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 10n ** 3n, M: 10n ** 6n, G: 10n ** 9n, T: 10n ** 12n, P: 10n ** 15n, E: 10n ** 18n,
  Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n,
};
const QUANTITY = /^(\d+)(?:\.(\d+))?(?:(k|Ki|[MGTPE]i?)|[eE](\d{1,2}))?$/;
/** 1 EiB: far above any EPC, low enough to stay exact as a JS number after MiB conversion. */
const MAX_BYTES = 1n << 60n;
export const MIB = 1n << 20n;

export function parseByteQuantity(text: string, what: string): bigint {
  const m = QUANTITY.exec(text.trim());
  if (m === null) throw bad(text, what, 'want digits with an optional suffix (Ki, Mi, Gi, k, M, G, ...) or exponent');
  const [, whole, frac = '', suffix, exp] = m;
  const scale = exp !== undefined ? 10n ** BigInt(exp) : SUFFIX[suffix ?? '']!;
  const denominator = 10n ** BigInt(frac.length);
  const numerator = BigInt(whole! + frac) * scale;
  if (numerator % denominator !== 0n) throw bad(text, what, 'not a whole number of bytes');
  const bytes = numerator / denominator;
  if (bytes > MAX_BYTES) throw bad(text, what, `more than ${MAX_BYTES} bytes`);
  return bytes;
}

/** Whole MiB, rounded UP: asking the scheduler for less EPC than the enclave needs would fail at run time. */
export function bytesToMiB(bytes: bigint): bigint {
  return (bytes + MIB - 1n) / MIB;
}

function bad(text: string, what: string, why: string): K8sError {
  return new K8sError('K8S_QUANTITY_INVALID', `${what} '${text}' is not a byte quantity: ${why}`, { detail: { got: text } });
}
