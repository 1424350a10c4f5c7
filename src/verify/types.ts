/**
 * The one result shape of evidence verification, shared by the CLI (`--json`), the library
 * (`verifyEvidence`) and tokens. Claim names are fixed per TEE; byte strings are lowercase hex.
 */
export type Tee = 'sgx' | 'tdx' | 'snp';

/** Intel TCB statuses (TCB info v2/v3 + QE identity). SNP evidence reports `UpToDate`. */
export type TcbStatus =
  | 'UpToDate'
  | 'SWHardeningNeeded'
  | 'ConfigurationNeeded'
  | 'ConfigurationAndSWHardeningNeeded'
  | 'OutOfDate'
  | 'OutOfDateConfigurationNeeded'
  | 'Revoked';

export const TCB_STATUSES: readonly TcbStatus[] = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
];

export const DEFAULT_ACCEPTED_STATUSES: readonly TcbStatus[] = ['UpToDate', 'SWHardeningNeeded'];

export interface SgxClaims {
  readonly mrenclave: string;
  readonly mrsigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: string;
  readonly debug: boolean;
  readonly fmspc: string;
}

export interface TdxClaims {
  readonly mrtd: string;
  readonly rtmr0: string;
  readonly rtmr1: string;
  readonly rtmr2: string;
  readonly rtmr3: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  readonly reportData: string;
  readonly teeTcbSvn: string;
  readonly debug: boolean;
  readonly fmspc: string;
}

export interface SnpTcb {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Turin and later only */
  readonly fmc?: number;
}

export type SnpProduct = 'Milan' | 'Genoa' | 'Turin';

export interface SnpClaims {
  readonly measurement: string;
  readonly hostData: string;
  readonly reportData: string;
  readonly chipId: string;
  readonly reportedTcb: SnpTcb;
  readonly guestSvn: number;
  readonly policy: string; // u64 as 0x-prefixed hex
  readonly vmpl: number;
  readonly debug: boolean;
  readonly familyId: string;
  readonly imageId: string;
  readonly signingKey: 'vcek' | 'vlek';
  readonly product: SnpProduct;
}

export type ClaimsOf<T extends Tee> = T extends 'sgx' ? SgxClaims : T extends 'tdx' ? TdxClaims : SnpClaims;

/** Facts established by a TEE verifier (before policy): authentic evidence + its status. */
export type VerifiedEvidence =
  | { readonly tee: 'sgx'; readonly status: TcbStatus; readonly advisoryIds: readonly string[]; readonly claims: SgxClaims; readonly warnings: readonly string[] }
  | { readonly tee: 'tdx'; readonly status: TcbStatus; readonly advisoryIds: readonly string[]; readonly claims: TdxClaims; readonly warnings: readonly string[] }
  | { readonly tee: 'snp'; readonly status: TcbStatus; readonly advisoryIds: readonly string[]; readonly claims: SnpClaims; readonly warnings: readonly string[] };

export interface ErrorView {
  readonly code: string;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What `verifyEvidence` resolves to and `cloister evidence verify --json` prints. */
export type VerificationResult =
  | ({ readonly ok: true } & VerifiedEvidence)
  | {
      readonly ok: false;
      readonly tee: Tee | null;
      /** present when the evidence verified but its status (or another policy) was not accepted */
      readonly status?: TcbStatus;
      readonly advisoryIds?: readonly string[];
      readonly claims?: SgxClaims | TdxClaims | SnpClaims;
      readonly warnings?: readonly string[];
      readonly error: ErrorView;
    };
