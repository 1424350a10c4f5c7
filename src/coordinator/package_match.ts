import type { ManifestPackage } from '../manifest/index.js';
import { PolicyError, validateSnp, type PolicyCode, type SgxClaims, type SnpClaims, type TdxClaims, type TcbStatus } from '../verify/index.js';
import type { SimulatedClaims } from '../verify/index.js';

/** Verified evidence as the coordinator sees it: the TEE, its claims, and (hardware) its TCB status. */
export type WorkloadClaims =
  | { readonly tee: 'simulated'; readonly claims: SimulatedClaims }
  | { readonly tee: 'sgx'; readonly claims: SgxClaims; readonly status: TcbStatus }
  | { readonly tee: 'tdx'; readonly claims: TdxClaims; readonly status: TcbStatus }
  | { readonly tee: 'snp'; readonly claims: SnpClaims; readonly status: TcbStatus };

interface Failure {
  readonly field: string;
  readonly got: unknown;
  readonly want: unknown;
  readonly code: PolicyCode;
}

/**
 * Matches verified claims against a manifest package (its reference values). Every mismatch
 * is collected and reported at once; the error code is that of the first. A package names
 * exactly one TEE (the schema guarantees it), and evidence of another TEE never matches.
 */
export function matchPackage(name: string, pkg: ManifestPackage, v: WorkloadClaims): void {
  const failures: Failure[] = [];
  const oneOf = (field: string, got: string, allowed: readonly string[] | undefined) => {
    if (allowed !== undefined && !allowed.includes(got)) failures.push({ field, got, want: allowed, code: 'MEASUREMENT_MISMATCH' });
  };
  const expected = pkg.sgx ? 'sgx' : pkg.tdx ? 'tdx' : pkg.snp ? 'snp' : 'simulated';
  if (v.tee !== expected) {
    failures.push({ field: 'tee', got: v.tee, want: expected, code: 'MEASUREMENT_MISMATCH' });
  } else if (v.tee === 'simulated' && pkg.simulated) {
    oneOf('measurement', v.claims.measurement, pkg.simulated.measurements);
  } else if (v.tee === 'sgx' && pkg.sgx) {
    const p = pkg.sgx;
    oneOf('mrenclave', v.claims.mrenclave, p.mrenclave);
    oneOf('mrsigner', v.claims.mrsigner, p.mrsigner);
    if (p.productId !== undefined && v.claims.isvProdId !== p.productId) {
      failures.push({ field: 'isvProdId', got: v.claims.isvProdId, want: p.productId, code: 'MEASUREMENT_MISMATCH' });
    }
    if (p.minSecurityVersion !== undefined && v.claims.isvSvn < p.minSecurityVersion) {
      failures.push({ field: 'isvSvn', got: v.claims.isvSvn, want: `>= ${p.minSecurityVersion}`, code: 'TCB_BELOW_MINIMUM' });
    }
    if (v.claims.debug && !p.debug) failures.push({ field: 'debug', got: true, want: false, code: 'DEBUG_NOT_ALLOWED' });
    if (!p.acceptedTcbStatuses.includes(v.status)) {
      failures.push({ field: 'status', got: v.status, want: p.acceptedTcbStatuses, code: 'TCB_STATUS_NOT_ACCEPTED' });
    }
  } else if (v.tee === 'tdx' && pkg.tdx) {
    const p = pkg.tdx;
    oneOf('mrtd', v.claims.mrtd, p.mrtd);
    oneOf('rtmr0', v.claims.rtmr0, p.rtmr0);
    oneOf('rtmr1', v.claims.rtmr1, p.rtmr1);
    oneOf('rtmr2', v.claims.rtmr2, p.rtmr2);
    oneOf('rtmr3', v.claims.rtmr3, p.rtmr3);
    oneOf('mrConfigId', v.claims.mrConfigId, p.mrConfigId);
    if (p.minimumTeeTcbSvn !== undefined && !svnAtLeast(v.claims.teeTcbSvn, p.minimumTeeTcbSvn)) {
      failures.push({ field: 'teeTcbSvn', got: v.claims.teeTcbSvn, want: `>= ${p.minimumTeeTcbSvn} per component`, code: 'TCB_BELOW_MINIMUM' });
    }
    if (v.claims.debug) failures.push({ field: 'debug', got: true, want: false, code: 'DEBUG_NOT_ALLOWED' });
    if (!['UpToDate', 'SWHardeningNeeded'].includes(v.status)) {
      failures.push({ field: 'status', got: v.status, want: ['UpToDate', 'SWHardeningNeeded'], code: 'TCB_STATUS_NOT_ACCEPTED' });
    }
  } else if (v.tee === 'snp' && pkg.snp) {
    const p = pkg.snp;
    try {
      validateSnp(v.claims, {
        allowDebug: false,
        measurements: p.measurements,
        ...(p.minimumTcb === undefined ? {} : { minimumTcb: p.minimumTcb }),
        ...(p.vmpl === undefined ? {} : { allowedVmpls: p.vmpl }),
        ...(p.products === undefined ? {} : { products: p.products }),
      });
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      for (const f of (e.detail?.failures ?? []) as Failure[]) failures.push(f);
    }
    oneOf('hostData', v.claims.hostData, p.hostData);
  }
  const first = failures[0];
  if (first === undefined) return;
  throw new PolicyError(
    first.code,
    `evidence does not match package '${name}': ${failures.map((f) => `${f.field} got ${JSON.stringify(f.got)}, want ${JSON.stringify(f.want)}`).join('; ')}`,
    { detail: { package: name, failures: failures.map(({ field, got, want, code }) => ({ field, got, want, code })) } },
  );
}

/** TEE_TCB_SVN is 16 one-byte SVNs; "at least" holds when every component is >= the minimum's. */
function svnAtLeast(gotHex: string, minHex: string): boolean {
  const got = Buffer.from(gotHex, 'hex');
  const min = Buffer.from(minHex, 'hex');
  for (let i = 0; i < min.length; i++) if ((got[i] ?? 0) < min[i]!) return false;
  return true;
}
