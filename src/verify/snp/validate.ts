import { PolicyError, type PolicyCode } from '../errors.js';
import type { SnpClaims, SnpProduct, SnpTcb } from '../types.js';

/** What a caller expects of verified SNP claims. Absent fields are not checked. */
export interface SnpExpectations {
  /** debug-enabled guests (policy bit 19) are rejected unless true */
  readonly allowDebug?: boolean;
  /** per-component minimum of the REPORTED_TCB (the TCB the VEK was issued for) */
  readonly minimumTcb?: Partial<SnpTcb>;
  readonly allowedVmpls?: readonly number[];
  /** allowed launch measurements (hex, any case) */
  readonly measurements?: readonly string[];
  /** expected HOST_DATA (hex, any case) */
  readonly hostData?: string;
  readonly products?: readonly SnpProduct[];
}

interface Failure {
  readonly field: string;
  readonly got: unknown;
  readonly want: unknown;
  readonly code: PolicyCode;
}

const TCB_FIELDS = ['bootloader', 'tee', 'snp', 'microcode', 'fmc'] as const;

/**
 * The validate step for SEV-SNP: compares claims with expectations and reports EVERY mismatch
 * at once (`detail.failures`); the error code is that of the first failure. Like go-sev-guest
 * validate/validate.go, a field without an expectation is not checked.
 */
export function validateSnp(claims: SnpClaims, want: SnpExpectations): void {
  const failures: Failure[] = [];
  if (claims.debug && want.allowDebug !== true) failures.push({ field: 'debug', got: true, want: false, code: 'DEBUG_NOT_ALLOWED' });
  if (want.minimumTcb !== undefined) {
    for (const k of TCB_FIELDS) {
      const min = want.minimumTcb[k];
      if (min === undefined) continue;
      const got = claims.reportedTcb[k];
      // FMC exists only on Turin and later; a minimum for it does not apply to older products
      // (restrict `products` to require Turin).
      if (got === undefined) continue;
      if (got < min) failures.push({ field: `reportedTcb.${k}`, got, want: `>= ${min}`, code: 'TCB_BELOW_MINIMUM' });
    }
  }
  if (want.allowedVmpls !== undefined && !want.allowedVmpls.includes(claims.vmpl)) {
    failures.push({ field: 'vmpl', got: claims.vmpl, want: [...want.allowedVmpls], code: 'VMPL_NOT_ALLOWED' });
  }
  if (want.measurements !== undefined && !want.measurements.some((m) => m.toLowerCase() === claims.measurement)) {
    failures.push({ field: 'measurement', got: claims.measurement, want: want.measurements.map((m) => m.toLowerCase()), code: 'MEASUREMENT_MISMATCH' });
  }
  if (want.hostData !== undefined && want.hostData.toLowerCase() !== claims.hostData) {
    failures.push({ field: 'hostData', got: claims.hostData, want: want.hostData.toLowerCase(), code: 'HOST_DATA_MISMATCH' });
  }
  if (want.products !== undefined && !want.products.includes(claims.product)) {
    failures.push({ field: 'product', got: claims.product, want: [...want.products], code: 'PRODUCT_NOT_ALLOWED' });
  }
  const first = failures[0];
  if (first === undefined) return;
  const message = failures.map((f) => `${f.field}: got ${JSON.stringify(f.got)}, want ${JSON.stringify(f.want)}`).join('; ');
  throw new PolicyError(first.code, `SEV-SNP policy: ${message}`, {
    detail: { failures: failures.map(({ field, got, want: w, code }) => ({ field, got, want: w, code })) },
  });
}
