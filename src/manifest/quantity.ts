const UNITS: Readonly<Record<string, bigint>> = {
  '': 1n, k: 1000n, M: 1000n ** 2n, G: 1000n ** 3n, T: 1000n ** 4n, Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n,
};

/** Bytes of a validated `epcSize` (Kubernetes byte quantity: digits with an optional SI or binary suffix). */
export function epcBytes(quantity: string): bigint {
  const m = /^([1-9][0-9]{0,15})(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (m === null) throw new RangeError(`'${quantity}' is not a byte quantity`);
  return BigInt(m[1]!) * UNITS[m[2] ?? '']!;
}
