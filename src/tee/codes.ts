import type { CodeTable } from '../common/errors.js';

/** Codes of the TEE layer: measuring programs, the simulated platform, evidence providers. */
export const TEE_CODES = {
  MEASURE_PATH_UNREADABLE: 'The path to measure does not exist or a file or directory under it cannot be read.',
  MEASURE_FILE_UNSUPPORTED: 'The tree to measure holds a device, FIFO or socket; only regular files, directories and symlinks are measured.',
  SIM_MEASUREMENT_INVALID: 'A simulated measurement is not 48 bytes (96 hex digits of SHA-384).',
  SIM_PLATFORM_DIR_UNUSABLE: 'The simulated platform directory cannot be created or read.',
  SIM_PLATFORM_KEY_INVALID: 'The simulated platform key file is not a PEM ECDSA P-384 private key.',
  SIM_PLATFORM_KEY_INSECURE: 'The simulated platform key file is readable or writable by group or others (want mode 0600).',
  TEE_REPORT_DATA_INVALID: 'Report data passed to an evidence provider is not exactly 64 bytes.',
  TEE_DEVICE_MISSING: 'An attestation interface file or directory (/dev/attestation, configfs-tsm) does not exist.',
  TEE_DEVICE_IO: 'Reading or writing an attestation interface file failed.',
  TEE_ATTESTATION_TYPE_UNSUPPORTED: "Gramine's /dev/attestation/attestation_type is not 'dcap'.",
  TEE_EVIDENCE_INVALID: 'The evidence read back is empty, too short, or does not carry the report data that was written.',
  TSM_PROVIDER_UNKNOWN: "The configfs-tsm provider is neither 'sev_guest' nor 'tdx_guest'.",
  TSM_GENERATION_RACE: 'Another writer changed the configfs-tsm report entry while the evidence was produced.',
  TEE_NOT_DETECTED: 'No TEE attestation interface was found and simulation was not allowed.',
} as const satisfies CodeTable;

export type TeeCode = keyof typeof TEE_CODES;
