/**
 * Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11b), the field
 * most Shamir implementations use (e.g. HashiCorp Vault shamir/shamir.go, which also avoids
 * secret-dependent branches). Multiplication is a fixed 8-round shift-and-add with masks
 * instead of log/exp tables: table lookups indexed by secret bytes leak through the cache,
 * masks do not, and secrets here are a few dozen bytes so speed does not matter.
 */

/** a * b in GF(2^8); no branches or indexes that depend on a or b. */
export function gfMul(a: number, b: number): number {
  let p = 0;
  let x = a & 0xff;
  let y = b & 0xff;
  for (let i = 0; i < 8; i++) {
    p ^= -(y & 1) & x;
    const carry = -((x >> 7) & 1);
    x = ((x << 1) ^ (carry & 0x1b)) & 0xff;
    y >>= 1;
  }
  return p & 0xff;
}

/** a^-1 = a^254 (Fermat in a field of 256 elements); the fixed exponent makes the work constant. 0 maps to 0. */
export function gfInv(a: number): number {
  // 254 = 0b11111110: square-and-multiply over a public exponent.
  let result = 1;
  let base = a & 0xff;
  for (let e = 254; e > 0; e >>= 1) {
    if (e & 1) result = gfMul(result, base);
    base = gfMul(base, base);
  }
  return result;
}

export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}

/** Evaluates the polynomial with coefficients `coeffs` (coeffs[0] = constant term) at x (Horner). */
export function gfEval(coeffs: ArrayLike<number>, x: number): number {
  let y = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) y = gfMul(y, x) ^ (coeffs[i]! & 0xff);
  return y;
}

/**
 * Lagrange interpolation at x = 0 from points (xs[i], ys[i]); the xs must be distinct and
 * non-zero (share indices, which are public). In GF(2^8) subtraction is XOR.
 */
export function gfInterpolateAtZero(xs: readonly number[], ys: readonly number[]): number {
  let acc = 0;
  for (let i = 0; i < xs.length; i++) {
    let basis = 1;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      basis = gfMul(basis, gfDiv(xs[j]!, xs[j]! ^ xs[i]!));
    }
    acc ^= gfMul(ys[i]!, basis);
  }
  return acc;
}
