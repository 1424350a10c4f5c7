import { z } from 'zod';
import { VerifyError } from '../errors.js';
import type { TcbStatus } from '../types.js';
import { isTcbStatus } from './tcb_status.js';
import { issue } from './tcb_info.js';

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

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `want ${bytes} bytes of hex`);
const date = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'want an ISO 8601 date');
const SCHEMA = z.object({
  id: z.enum(['QE', 'TD_QE', 'QVE']),
  version: z.literal(2),
  issueDate: date,
  nextUpdate: date,
  tcbEvaluationDataNumber: z.number().int(),
  miscselect: hex(4),
  miscselectMask: hex(4),
  attributes: hex(16),
  attributesMask: hex(16),
  mrsigner: hex(32),
  isvprodid: z.number().int().min(0).max(0xffff),
  tcbLevels: z
    .array(
      z.object({
        tcb: z.object({ isvsvn: z.number().int().min(0).max(0xffff) }),
        tcbDate: date,
        tcbStatus: z.string().refine(isTcbStatus, 'unknown TCB status'),
        advisoryIDs: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

/** Parses the exact signed enclaveIdentity JSON text. Throws QE_IDENTITY_INVALID. */
export function parseQeIdentity(text: string): QeIdentity {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new VerifyError('QE_IDENTITY_INVALID', `QE identity: not JSON (${(cause as Error).message})`, { cause });
  }
  const r = SCHEMA.safeParse(json);
  if (!r.success) throw new VerifyError('QE_IDENTITY_INVALID', `QE identity: ${issue(r.error)}`);
  const q = r.data;
  return {
    id: q.id,
    version: 2,
    issueDate: new Date(q.issueDate),
    nextUpdate: new Date(q.nextUpdate),
    tcbEvaluationDataNumber: q.tcbEvaluationDataNumber,
    miscselect: Number.parseInt(q.miscselect, 16),
    miscselectMask: Number.parseInt(q.miscselectMask, 16),
    attributes: new Uint8Array(Buffer.from(q.attributes, 'hex')),
    attributesMask: new Uint8Array(Buffer.from(q.attributesMask, 'hex')),
    mrsigner: new Uint8Array(Buffer.from(q.mrsigner, 'hex')),
    isvprodid: q.isvprodid,
    tcbLevels: q.tcbLevels.map((l) => ({ isvsvn: l.tcb.isvsvn, tcbStatus: l.tcbStatus as TcbStatus, advisoryIds: l.advisoryIDs ?? [] })),
  };
}
