import { z } from 'zod';
import { VerifyError } from '../errors.js';
import type { TcbStatus } from '../types.js';
import { isTcbStatus } from './tcb_status.js';

/**
 * Intel TCB info JSON (PCS v3 = "version 2" and v4 = "version 3", ids SGX and TDX), parsed from
 * the exact signed text. Field names: Intel PCS API "Get TCB Info" (TcbInfo v2/v3 schema);
 * cross-checked with dcap-qvl src/tcb_info.rs and go-tdx-guest pcs/pcs.go.
 * Hex fields are normalized to lowercase.
 */
export interface TcbLevel {
  readonly sgxComponents: readonly number[]; // 16
  readonly pcesvn: number;
  /** TDX TCB info only: the 16 TDX component SVNs */
  readonly tdxComponents?: readonly number[];
  readonly tcbDate: string;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface ModuleTcbLevel {
  readonly isvsvn: number;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
}

export interface TdxModule {
  readonly mrsigner: string; // 48 bytes hex
  readonly attributes: string; // 8 bytes hex
  readonly attributesMask: string; // 8 bytes hex
}

export interface TdxModuleIdentity extends TdxModule {
  readonly id: string;
  readonly tcbLevels: readonly ModuleTcbLevel[];
}

export interface TcbInfo {
  readonly id: 'SGX' | 'TDX';
  readonly version: 2 | 3;
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly fmspc: string;
  readonly pceId: string;
  readonly tcbEvaluationDataNumber: number;
  readonly tcbLevels: readonly TcbLevel[];
  readonly tdxModule?: TdxModule;
  readonly tdxModuleIdentities?: readonly TdxModuleIdentity[];
}

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `want ${bytes} bytes of hex`);
const svn = z.number().int().min(0).max(255);
const date = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'want an ISO 8601 date');
const status = z.string().refine(isTcbStatus, 'unknown TCB status');
const advisories = z.array(z.string()).optional();
const component = z.object({ svn });

const V2_COMPONENT_KEYS = Array.from({ length: 16 }, (_, i) => `sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`);
const v2Tcb = z.object({ pcesvn: z.number().int().min(0).max(0xffff), ...Object.fromEntries(V2_COMPONENT_KEYS.map((k) => [k, svn])) });
const v3Tcb = z.object({
  pcesvn: z.number().int().min(0).max(0xffff),
  sgxtcbcomponents: z.array(component).length(16),
  tdxtcbcomponents: z.array(component).length(16).optional(),
});
const level = <T extends z.ZodType>(tcb: T) => z.object({ tcb, tcbDate: date, tcbStatus: status, advisoryIDs: advisories });
const moduleFields = { mrsigner: hex(48), attributes: hex(8), attributesMask: hex(8) };
const moduleIdentity = z.object({
  id: z.string(),
  ...moduleFields,
  tcbLevels: z.array(z.object({ tcb: z.object({ isvsvn: svn }), tcbDate: date, tcbStatus: status, advisoryIDs: advisories })).min(1),
});
const common = {
  issueDate: date,
  nextUpdate: date,
  fmspc: hex(6),
  pceId: hex(2),
  tcbType: z.number().int(),
  tcbEvaluationDataNumber: z.number().int(),
};
const V2 = z.object({ version: z.literal(2), id: z.literal('SGX').optional(), ...common, tcbLevels: z.array(level(v2Tcb)).min(1) });
const V3 = z.object({
  version: z.literal(3),
  id: z.enum(['SGX', 'TDX']),
  ...common,
  tdxModule: z.object(moduleFields).optional(),
  tdxModuleIdentities: z.array(moduleIdentity).optional(),
  tcbLevels: z.array(level(v3Tcb)).min(1),
});

function invalid(message: string, cause?: unknown): VerifyError {
  return new VerifyError('TCB_INFO_INVALID', `TCB info: ${message}`, cause === undefined ? undefined : { cause });
}

/** Parses the exact signed tcbInfo JSON text. Throws TCB_INFO_INVALID. */
export function parseTcbInfo(text: string): TcbInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(`not JSON (${(cause as Error).message})`, cause);
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (version === 2) {
    const r = V2.safeParse(json);
    if (!r.success) throw invalid(issue(r.error));
    const t = r.data;
    return {
      id: 'SGX',
      version: 2,
      ...dates(t),
      fmspc: t.fmspc.toLowerCase(),
      pceId: t.pceId.toLowerCase(),
      tcbEvaluationDataNumber: t.tcbEvaluationDataNumber,
      tcbLevels: t.tcbLevels.map((l) => ({
        sgxComponents: V2_COMPONENT_KEYS.map((k) => (l.tcb as Record<string, number>)[k]!),
        pcesvn: l.tcb.pcesvn,
        tcbDate: l.tcbDate,
        tcbStatus: l.tcbStatus as TcbStatus,
        advisoryIds: l.advisoryIDs ?? [],
      })),
    };
  }
  if (version !== 3) throw invalid(`version check: got ${JSON.stringify(version)}, want 2 or 3`);
  const r = V3.safeParse(json);
  if (!r.success) throw invalid(issue(r.error));
  const t = r.data;
  if (t.id === 'TDX') {
    if (t.tdxModule === undefined) throw invalid('TDX TCB info without tdxModule');
    if (t.tcbLevels.some((l) => l.tcb.tdxtcbcomponents === undefined)) throw invalid('TDX TCB level without tdxtcbcomponents');
  }
  return {
    id: t.id,
    version: 3,
    ...dates(t),
    fmspc: t.fmspc.toLowerCase(),
    pceId: t.pceId.toLowerCase(),
    tcbEvaluationDataNumber: t.tcbEvaluationDataNumber,
    tcbLevels: t.tcbLevels.map((l) => ({
      sgxComponents: l.tcb.sgxtcbcomponents.map((c) => c.svn),
      pcesvn: l.tcb.pcesvn,
      ...(t.id === 'TDX' && l.tcb.tdxtcbcomponents !== undefined ? { tdxComponents: l.tcb.tdxtcbcomponents.map((c) => c.svn) } : {}),
      tcbDate: l.tcbDate,
      tcbStatus: l.tcbStatus as TcbStatus,
      advisoryIds: l.advisoryIDs ?? [],
    })),
    ...(t.tdxModule !== undefined ? { tdxModule: lowerModule(t.tdxModule) } : {}),
    ...(t.tdxModuleIdentities !== undefined
      ? {
          tdxModuleIdentities: t.tdxModuleIdentities.map((m) => ({
            id: m.id,
            ...lowerModule(m),
            tcbLevels: m.tcbLevels.map((l) => ({ isvsvn: l.tcb.isvsvn, tcbStatus: l.tcbStatus as TcbStatus, advisoryIds: l.advisoryIDs ?? [] })),
          })),
        }
      : {}),
  };
}

function lowerModule(m: { mrsigner: string; attributes: string; attributesMask: string }): TdxModule {
  return { mrsigner: m.mrsigner.toLowerCase(), attributes: m.attributes.toLowerCase(), attributesMask: m.attributesMask.toLowerCase() };
}

function dates(t: { issueDate: string; nextUpdate: string }): { issueDate: Date; nextUpdate: Date } {
  return { issueDate: new Date(t.issueDate), nextUpdate: new Date(t.nextUpdate) };
}

export function issue(e: z.ZodError): string {
  const i = e.issues[0];
  return i === undefined ? 'invalid' : `${i.path.join('.') || '(root)'}: ${i.message}`;
}
