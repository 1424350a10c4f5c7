import { VerifyError } from '../errors.js';
import type { TcbStatus } from '../types.js';
import { JsonShape } from './json_shape.js';
import { isTcbStatus } from './tcb_status.js';

/**
 * Intel enclave identity JSON, version 2 (PCS "Get Quoting Enclave Identity"; ids QE for SGX,
 * TD_QE for TDX), parsed from the exact signed text. Cross-checked with dcap-qvl
 * src/qe_identity.rs and Intel QVL parsers EnclaveIdentityV2.
 */
export interface QeTcbLevel {
  readonly isvsvn: number;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface QeIdentity {
  readonly id: 'QE' | 'TD_QE' | 'QVE';
  readonly version: 2;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly tcbEvaluationDataNumber: number;
  /** u32 values of the hex strings (compared numerically with the report's MISCSELECT) */
  readonly miscselect: number;
  readonly miscselectMask: number;
  /** 16 bytes each, in report byte order */
  readonly attributes: Uint8Array;
  readonly attributesMask: Uint8Array;
  readonly mrsigner: Uint8Array; // 32
  readonly isvprodid: number;
  readonly tcbLevels: readonly QeTcbLevel[];
}

function invalid(message: string, cause?: unknown): VerifyError {
  return new VerifyError('QE_IDENTITY_INVALID', `QE identity: ${message}`, cause === undefined ? undefined : { cause });
}

const SHAPE = new JsonShape((m) => {
  throw invalid(m);
});

/** Parses the exact signed enclaveIdentity JSON text (checked by hand, json_shape.ts). Throws QE_IDENTITY_INVALID. */
export function parseQeIdentity(text: string): QeIdentity {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(`not JSON (${(cause as Error).message})`, cause);
  }
  const q = SHAPE.object(json, '');
  const id = SHAPE.oneOf(q['id'], 'id', ['QE', 'TD_QE', 'QVE'] as const);
  SHAPE.oneOf(q['version'], 'version', [2] as const);
  const issueDate = SHAPE.date(q['issueDate'], 'issueDate');
  const nextUpdate = SHAPE.date(q['nextUpdate'], 'nextUpdate');
  const tcbEvaluationDataNumber = SHAPE.int(q['tcbEvaluationDataNumber'], 'tcbEvaluationDataNumber');
  const miscselect = SHAPE.hex(q['miscselect'], 'miscselect', 4);
  const miscselectMask = SHAPE.hex(q['miscselectMask'], 'miscselectMask', 4);
  const attributes = SHAPE.hex(q['attributes'], 'attributes', 16);
  const attributesMask = SHAPE.hex(q['attributesMask'], 'attributesMask', 16);
  const mrsigner = SHAPE.hex(q['mrsigner'], 'mrsigner', 32);
  const isvprodid = SHAPE.int(q['isvprodid'], 'isvprodid', 0, 0xffff);
  const tcbLevels = SHAPE.array(q['tcbLevels'], 'tcbLevels', { min: 1 }).map((v, i): QeTcbLevel => {
    const path = `tcbLevels.${i}`;
    const l = SHAPE.object(v, path);
    const isvsvn = SHAPE.int(SHAPE.object(l['tcb'], `${path}.tcb`)['isvsvn'], `${path}.tcb.isvsvn`, 0, 0xffff);
    SHAPE.date(l['tcbDate'], `${path}.tcbDate`);
    const tcbStatus = SHAPE.string(l['tcbStatus'], `${path}.tcbStatus`);
    if (!isTcbStatus(tcbStatus)) throw invalid(`${path}.tcbStatus: unknown TCB status`);
    return { isvsvn, tcbStatus, advisoryIds: SHAPE.optionalStrings(l['advisoryIDs'], `${path}.advisoryIDs`) };
  });
  return {
    id,
    version: 2,
    issueDate: new Date(issueDate),
    nextUpdate: new Date(nextUpdate),
    tcbEvaluationDataNumber,
    miscselect: Number.parseInt(miscselect, 16),
    miscselectMask: Number.parseInt(miscselectMask, 16),
    attributes: new Uint8Array(Buffer.from(attributes, 'hex')),
    attributesMask: new Uint8Array(Buffer.from(attributesMask, 'hex')),
    mrsigner: new Uint8Array(Buffer.from(mrsigner, 'hex')),
    isvprodid,
    tcbLevels,
  };
}
