import { VerifyError } from '../errors.js';
import type { TcbStatus } from '../types.js';
import { JsonShape, type Json } from './json_shape.js';
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

const V2_COMPONENT_KEYS = Array.from({ length: 16 }, (_, i) => `sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`);

function invalid(message: string, cause?: unknown): VerifyError {
  return new VerifyError('TCB_INFO_INVALID', `TCB info: ${message}`, cause === undefined ? undefined : { cause });
}

const SHAPE = new JsonShape((m) => {
  throw invalid(m);
});

/**
 * Parses the exact signed tcbInfo JSON text. Throws TCB_INFO_INVALID. The rules are those of
 * the Intel schema (v2: sgxtcbcompNNsvn fields; v3: sgxtcbcomponents / tdxtcbcomponents arrays
 * of 16, tdxModule and tdxModuleIdentities for TDX), checked by hand (json_shape.ts).
 */
export function parseTcbInfo(text: string): TcbInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(`not JSON (${(cause as Error).message})`, cause);
  }
  const t = SHAPE.object(json, '');
  const version = t['version'];
  if (version !== 2 && version !== 3) throw invalid(`version check: got ${JSON.stringify(version) ?? 'nothing'}, want 2 or 3`);
  const id: 'SGX' | 'TDX' = version === 2 ? (t['id'] === undefined ? 'SGX' : SHAPE.oneOf(t['id'], 'id', ['SGX'] as const)) : SHAPE.oneOf(t['id'], 'id', ['SGX', 'TDX'] as const);
  const issueDate = SHAPE.date(t['issueDate'], 'issueDate');
  const nextUpdate = SHAPE.date(t['nextUpdate'], 'nextUpdate');
  const fmspc = SHAPE.hex(t['fmspc'], 'fmspc', 6).toLowerCase();
  const pceId = SHAPE.hex(t['pceId'], 'pceId', 2).toLowerCase();
  SHAPE.int(t['tcbType'], 'tcbType');
  const tcbEvaluationDataNumber = SHAPE.int(t['tcbEvaluationDataNumber'], 'tcbEvaluationDataNumber');
  const rawLevels = SHAPE.array(t['tcbLevels'], 'tcbLevels', { min: 1 });
  const tcbLevels: TcbLevel[] = [];
  for (let i = 0; i < rawLevels.length; i++) tcbLevels.push(version === 2 ? levelV2(rawLevels[i], `tcbLevels.${i}`) : levelV3(rawLevels[i], `tcbLevels.${i}`, id));
  const base = { id, version, issueDate: new Date(issueDate), nextUpdate: new Date(nextUpdate), fmspc, pceId, tcbEvaluationDataNumber, tcbLevels } as const;
  if (version === 2) return base;
  const tdxModule = t['tdxModule'] === undefined ? undefined : moduleOf(SHAPE.object(t['tdxModule'], 'tdxModule'), 'tdxModule');
  const tdxModuleIdentities = t['tdxModuleIdentities'] === undefined ? undefined : SHAPE.array(t['tdxModuleIdentities'], 'tdxModuleIdentities').map((m, i) => moduleIdentityOf(m, `tdxModuleIdentities.${i}`));
  if (id === 'TDX') {
    if (tdxModule === undefined) throw invalid('TDX TCB info without tdxModule');
    if (tcbLevels.some((l) => l.tdxComponents === undefined)) throw invalid('TDX TCB level without tdxtcbcomponents');
  }
  return { ...base, ...(tdxModule !== undefined ? { tdxModule } : {}), ...(tdxModuleIdentities !== undefined ? { tdxModuleIdentities } : {}) };
}

function statusOf(v: unknown, path: string): TcbStatus {
  const s = SHAPE.string(v, path);
  if (!isTcbStatus(s)) throw invalid(`${path}: unknown TCB status`);
  return s;
}

/** tcbDate, tcbStatus and advisoryIDs of a level (every level kind has them). */
function levelFacts(l: Json, path: string): { tcbDate: string; tcbStatus: TcbStatus; advisoryIds: readonly string[] } {
  return { tcbDate: SHAPE.date(l['tcbDate'], `${path}.tcbDate`), tcbStatus: statusOf(l['tcbStatus'], `${path}.tcbStatus`), advisoryIds: SHAPE.optionalStrings(l['advisoryIDs'], `${path}.advisoryIDs`) };
}

function levelV2(v: unknown, path: string): TcbLevel {
  const l = SHAPE.object(v, path);
  const tcb = SHAPE.object(l['tcb'], `${path}.tcb`);
  const pcesvn = SHAPE.int(tcb['pcesvn'], `${path}.tcb.pcesvn`, 0, 0xffff);
  const sgxComponents = V2_COMPONENT_KEYS.map((k) => SHAPE.int(tcb[k], `${path}.tcb.${k}`, 0, 255));
  const f = levelFacts(l, path);
  return { sgxComponents, pcesvn, tcbDate: f.tcbDate, tcbStatus: f.tcbStatus, advisoryIds: f.advisoryIds };
}

/** 16 `{ svn }` objects. Valid items take a fast path; the first bad one is reported with its path. */
function components(v: unknown, path: string): number[] {
  const a = SHAPE.array(v, path, { length: 16 });
  const out: number[] = new Array<number>(16);
  for (let i = 0; i < 16; i++) {
    const c = a[i];
    const svn = typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Json)['svn'] : undefined;
    out[i] = typeof svn === 'number' && Number.isInteger(svn) && svn >= 0 && svn <= 255 ? svn : SHAPE.int(SHAPE.object(c, `${path}.${i}`)['svn'], `${path}.${i}.svn`, 0, 255);
  }
  return out;
}

function levelV3(v: unknown, path: string, id: 'SGX' | 'TDX'): TcbLevel {
  const l = SHAPE.object(v, path);
  const tcb = SHAPE.object(l['tcb'], `${path}.tcb`);
  const pcesvn = SHAPE.int(tcb['pcesvn'], `${path}.tcb.pcesvn`, 0, 0xffff);
  const sgxComponents = components(tcb['sgxtcbcomponents'], `${path}.tcb.sgxtcbcomponents`);
  const tdx = tcb['tdxtcbcomponents'] === undefined ? undefined : components(tcb['tdxtcbcomponents'], `${path}.tcb.tdxtcbcomponents`);
  const f = levelFacts(l, path);
  // TDX components are kept only for a TDX TCB info (an SGX one that carries them ignores them).
  return { sgxComponents, pcesvn, ...(id === 'TDX' && tdx !== undefined ? { tdxComponents: tdx } : {}), tcbDate: f.tcbDate, tcbStatus: f.tcbStatus, advisoryIds: f.advisoryIds };
}

function moduleOf(m: Json, path: string): TdxModule {
  return {
    mrsigner: SHAPE.hex(m['mrsigner'], `${path}.mrsigner`, 48).toLowerCase(),
    attributes: SHAPE.hex(m['attributes'], `${path}.attributes`, 8).toLowerCase(),
    attributesMask: SHAPE.hex(m['attributesMask'], `${path}.attributesMask`, 8).toLowerCase(),
  };
}

function moduleIdentityOf(v: unknown, path: string): TdxModuleIdentity {
  const m = SHAPE.object(v, path);
  const id = SHAPE.string(m['id'], `${path}.id`);
  const mod = moduleOf(m, path);
  const tcbLevels = SHAPE.array(m['tcbLevels'], `${path}.tcbLevels`, { min: 1 }).map((lv, i): ModuleTcbLevel => {
    const p = `${path}.tcbLevels.${i}`;
    const l = SHAPE.object(lv, p);
    const isvsvn = SHAPE.int(SHAPE.object(l['tcb'], `${p}.tcb`)['isvsvn'], `${p}.tcb.isvsvn`, 0, 255);
    const f = levelFacts(l, p);
    return { isvsvn, tcbStatus: f.tcbStatus, advisoryIds: f.advisoryIds };
  });
  return { id, ...mod, tcbLevels };
}
