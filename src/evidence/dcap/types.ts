/**
 * Typed, readonly views of Intel DCAP quotes (SGX v3/v4/v5, TDX v4/v5).
 *
 * Layout facts: Intel "SGX ECDSA Quote Library API" (quote v3), "Intel TDX DCAP Quoting
 * Library API" (quote v4/v5); offsets cross-checked with go-tdx-guest abi/abi.go and
 * dcap-qvl src/quote.rs. Byte arrays are views into one private copy of the input, so the
 * parser never aliases the caller's buffer. Integers are little-endian in the wire format.
 */

/** tee_type in the header: 0x00000000 = SGX, 0x00000081 = TDX. */
export const TEE_TYPE_SGX = 0x00000000;
export const TEE_TYPE_TDX = 0x00000081;
/** attestation key type 2 = ECDSA-256-with-P-256 (the only one Intel ships; 3 = P-384 is reserved). */
export const ATT_KEY_TYPE_ECDSA_P256 = 2;

export type DcapTee = 'sgx' | 'tdx';
export type QuoteVersion = 3 | 4 | 5;

export interface QuoteHeader {
  readonly version: QuoteVersion;
  readonly attestationKeyType: number;
  /** 0 for SGX, 0x81 for TDX (v3 quotes have a reserved u32 here that must be 0). */
  readonly teeType: number;
  readonly qeSvn: number;
  readonly pceSvn: number;
  readonly qeVendorId: Uint8Array; // 16
  readonly userData: Uint8Array; // 20
}

/** SGX REPORT body (384 bytes); also the QE report inside the signature data. */
export interface EnclaveReportBody {
  readonly cpuSvn: Uint8Array; // 16
  readonly miscSelect: number; // u32
  readonly reserved1: Uint8Array; // 12
  readonly isvExtProdId: Uint8Array; // 16
  readonly attributes: Uint8Array; // 16 (flags u64 LE || xfrm u64 LE); flags bit 1 = DEBUG
  readonly mrEnclave: Uint8Array; // 32
  readonly reserved2: Uint8Array; // 32
  readonly mrSigner: Uint8Array; // 32
  readonly reserved3: Uint8Array; // 32
  readonly configId: Uint8Array; // 64
  readonly isvProdId: number; // u16
  readonly isvSvn: number; // u16
  readonly configSvn: number; // u16
  readonly reserved4: Uint8Array; // 42
  readonly isvFamilyId: Uint8Array; // 16
  readonly reportData: Uint8Array; // 64
}

/** TDX TD report body, TDX 1.0 layout (584 bytes). */
export interface TdReportBody10 {
  readonly teeTcbSvn: Uint8Array; // 16
  readonly mrSeam: Uint8Array; // 48
  readonly mrSignerSeam: Uint8Array; // 48
  readonly seamAttributes: Uint8Array; // 8
  readonly tdAttributes: Uint8Array; // 8; bit 0 = DEBUG, bit 28 = SEPT_VE_DISABLE
  readonly xfam: Uint8Array; // 8
  readonly mrTd: Uint8Array; // 48
  readonly mrConfigId: Uint8Array; // 48
  readonly mrOwner: Uint8Array; // 48
  readonly mrOwnerConfig: Uint8Array; // 48
  readonly rtmr0: Uint8Array; // 48
  readonly rtmr1: Uint8Array; // 48
  readonly rtmr2: Uint8Array; // 48
  readonly rtmr3: Uint8Array; // 48
  readonly reportData: Uint8Array; // 64
}

/** TDX 1.5 layout (648 bytes): the 1.0 fields followed by these two. */
export interface TdReportBody15 extends TdReportBody10 {
  readonly teeTcbSvn2: Uint8Array; // 16
  readonly mrServiceTd: Uint8Array; // 48
}

/**
 * The quote body. `bodyType` is the v5 body descriptor (1 = SGX enclave report, 2 = TD 1.0,
 * 3 = TD 1.5); v3/v4 quotes carry no descriptor and get the implied value.
 */
export type QuoteBody =
  | { readonly bodyType: 1; readonly tee: 'sgx'; readonly report: EnclaveReportBody }
  | { readonly bodyType: 2; readonly tee: 'tdx'; readonly report: TdReportBody10 }
  | { readonly bodyType: 3; readonly tee: 'tdx'; readonly report: TdReportBody15 };

/** Certification data (type + payload). */
export type CertificationData =
  /** 5 = concatenated PCK leaf / intermediate / root certificates in PEM (exact bytes kept). */
  | { readonly type: 5; readonly data: Uint8Array }
  /** 6 = QE report certification data, which wraps another certification data (normally 5). */
  | { readonly type: 6; readonly data: Uint8Array; readonly qeReportCertData: QeReportCertificationData }
  /**
   * 1..4 = PPID (cleartext / RSA-2048 / RSA-3072 encrypted) + CPUSVN + PCESVN (+ PCE ID);
   * 7 = platform manifest. They parse (so `evidence show` works) but carry no PCK chain, so
   * verification rejects them.
   */
  | { readonly type: 1 | 2 | 3 | 4 | 7; readonly data: Uint8Array };

export interface QeReportCertificationData {
  readonly qeReport: EnclaveReportBody; // 384
  /** ECDSA P-256 r||s (64) by the PCK key over the 384 raw QE report bytes. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** The inner certification data (type 5 in practice). */
  readonly certificationData: CertificationData;
  /** the raw 384 QE report bytes (the signed message of qeReportSignature) */
  readonly qeReportBytes: Uint8Array;
}

/**
 * ECDSA quote signature data. In v3 the QE report fields sit inline; in v4/v5 they are
 * wrapped as certification data type 6. Both normalize to `qeReportCertData`.
 */
export interface QuoteSignatureData {
  /** ECDSA P-256 r||s (64) by the attestation key over header||body (v5: ||bodyType||bodySize). */
  readonly signature: Uint8Array;
  /** raw P-256 public key x||y (64) */
  readonly attestationKey: Uint8Array;
  readonly qeReportCertData: QeReportCertificationData;
}

export interface DcapQuote {
  readonly header: QuoteHeader;
  readonly body: QuoteBody;
  readonly signatureData: QuoteSignatureData;
  /** The exact bytes the attestation key signed (header .. end of body). */
  readonly signedBytes: Uint8Array;
  /** Number of zero bytes after the signature data (real TDX quotes have some). */
  readonly trailingZeroPadding: number;
  /**
   * Bytes after the signature data that are not all zero. Present only when the caller
   * parsed with `allowTrailingData: true` (go-tdx-guest's SPR test quote ends with an ASCII
   * note); then `trailingZeroPadding` is 0. No signature covers these bytes.
   */
  readonly trailingData?: Uint8Array;
}

export interface ParseDcapQuoteOptions {
  /** Accept zero bytes after the signature data (default true: real TDX quotes carry them). */
  readonly allowTrailingZeroPadding?: boolean;
  /** Accept ANY bytes after the signature data (default false; they are unauthenticated). */
  readonly allowTrailingData?: boolean;
}
