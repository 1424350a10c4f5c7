/** The TEE layer: measuring programs, the simulated platform and evidence providers. */
export { TEE_CODES, type TeeCode } from './codes.js';
export { TeeError } from './errors.js';
export { measurePath, measurePathDetailed, MEASURE_LABEL, type MeasureProgress, type MeasureResult } from './measure.js';
export {
  loadOrCreatePlatform,
  loadPlatform,
  platformPublicKeyPem,
  resolvePlatformDir,
  PLATFORM_DIR_ENV,
  PLATFORM_KEY_FILE,
  type SimulatedPlatform,
} from './simulated/platform.js';
export { createSimulatedEvidence, measurementBytes } from './simulated/evidence.js';
export { simulatedProvider, type Evidence, type EvidenceProvider, type EvidenceTee, type SimulatedProviderOptions } from './provider.js';
export { gramineProvider, GRAMINE_ROOT } from './gramine.js';
export { tsmProvider, TSM_ROOT } from './tsm.js';
export { detectProvider, type DetectOptions } from './detect.js';
export { nodeDeviceFs, type DeviceFs } from './device_fs.js';
export { checkReportData, REPORT_DATA_SIZE } from './report_data.js';
