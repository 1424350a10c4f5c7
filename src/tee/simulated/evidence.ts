import { sign } from 'node:crypto';
import { fromHexStrict } from '../../common/bytes.js';
import {
  SIM_MEASUREMENT_SIZE,
  encodeSimulatedEvidenceBody,
  serializeSimulatedEvidence,
  simulatedSignedMessage,
} from '../../verify/sim/index.js';
import { TeeError } from '../errors.js';
import { checkReportData } from '../report_data.js';
import type { SimulatedPlatform } from './platform.js';

/** Signs simulated evidence (format: src/verify/sim/format.ts) with the platform key. */
export function createSimulatedEvidence(platform: SimulatedPlatform, measurement: Uint8Array, reportData: Uint8Array): Uint8Array {
  if (measurement.length !== SIM_MEASUREMENT_SIZE) {
    throw new TeeError('SIM_MEASUREMENT_INVALID', `measurement is ${measurement.length} bytes, want ${SIM_MEASUREMENT_SIZE} (SHA-384)`);
  }
  checkReportData(reportData);
  const body = encodeSimulatedEvidenceBody({ measurement, reportData, platformKey: platform.publicKeySpki });
  const signature = sign('sha384', simulatedSignedMessage(body), { key: platform.privateKey, dsaEncoding: 'ieee-p1363' });
  return serializeSimulatedEvidence({ measurement, reportData, platformKey: platform.publicKeySpki, signature: new Uint8Array(signature) });
}

/** A measurement given as hex (what `cloister measure` prints) or bytes. */
export function measurementBytes(m: string | Uint8Array): Uint8Array {
  const bytes = typeof m === 'string' ? fromHexStrict(m) : m;
  if (bytes === undefined || bytes.length !== SIM_MEASUREMENT_SIZE) {
    throw new TeeError('SIM_MEASUREMENT_INVALID', `measurement must be ${SIM_MEASUREMENT_SIZE * 2} hex digits (SHA-384), got ${typeof m === 'string' ? `'${m.slice(0, 16)}...' (${m.length} chars)` : `${m.length} bytes`}`);
  }
  return bytes;
}
