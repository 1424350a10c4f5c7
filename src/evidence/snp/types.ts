/** AMD EPYC product lines whose SEV-SNP reports Cloister can decode. */
export type SnpProductName = 'Milan' | 'Genoa' | 'Turin';

/** SPL components of a TCB_VERSION (see tcb.ts for the byte layouts). */
export interface SnpTcbParts {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Turin and later only */
  readonly fmc?: number;
}

/** KEY_INFO.SIGNING_KEY: 0 VCEK, 1 VLEK, 7 none (the report is unsigned); 2-6 are reserved and rejected. */
export type SnpSigningKey = 'vcek' | 'vlek' | 'none';

export interface SnpFirmwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/**
 * A parsed ATTESTATION_REPORT (AMD SEV-SNP ABI spec 56860, Table "ATTESTATION_REPORT
 * Structure"). Byte fields are views into `bytes`, the parser's own copy of the input.
 * TCB values stay raw u64s: their layout depends on the product (decodeTcb).
 */
export interface SnpReport {
  /** the 1184 bytes of the report (a private copy; never the caller's buffer) */
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly guestSvn: number;
  /** guest policy u64 */
  readonly policy: bigint;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly currentTcb: bigint;
  readonly platformInfo: bigint;
  /** the raw KEY_INFO u32 at 0x48 (bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 2-4 SIGNING_KEY) */
  readonly keyInfo: number;
  readonly signingKey: SnpSigningKey;
  readonly maskChipKey: boolean;
  readonly authorKeyEn: boolean;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  readonly reportedTcb: bigint;
  /** version >= 3: CPUID family (extended + base), model (extended + base), stepping */
  readonly cpuid: { readonly family: number; readonly model: number; readonly stepping: number } | undefined;
  readonly chipId: Uint8Array;
  readonly committedTcb: bigint;
  readonly currentVersion: SnpFirmwareVersion;
  readonly committedVersion: SnpFirmwareVersion;
  readonly launchTcb: bigint;
  /** version >= 5 (ABI spec rev 1.58) */
  readonly launchMitVector: bigint | undefined;
  /** version >= 5 (ABI spec rev 1.58) */
  readonly currentMitVector: bigint | undefined;
  /** bytes 0x000..0x29F: what the VCEK/VLEK signature covers */
  readonly signedBytes: Uint8Array;
  /** ECDSA r, 72 bytes little-endian (as in the report) */
  readonly signatureR: Uint8Array;
  /** ECDSA s, 72 bytes little-endian (as in the report) */
  readonly signatureS: Uint8Array;
}
