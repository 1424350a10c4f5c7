import { toHex } from '../../common/bytes.js';
import { children, content, DER_TAG, DerError, expectTag, readNode, readOid, readSmallInt, type DerNode } from '../../common/der.js';
import { VerifyError } from '../errors.js';
import { commonName, parseCert, type ParsedCert } from './cert.js';

/**
 * The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1), per Intel "SGX PCK
 * Certificate and Certificate Revocation List Profile Specification" section 1.3.5:
 * PPID .1, TCB .2 (.2.1-.2.16 SGX TCB components, .2.17 PCESVN, .2.18 CPUSVN), PCE-ID .3,
 * FMSPC .4, SGX type .5, PlatformInstanceID .6 (platform CA only). Cross-checked with
 * go-tdx-guest pcs/pcs.go (PckCertExtensions) and dcap-qvl src/intel.rs.
 */
export const OID_SGX_EXTENSION = '1.2.840.113741.1.13.1';

export interface PckExtensions {
  readonly ppid: string;
  readonly cpusvn: string;
  /** the 16 SGX TCB component SVNs, in order */
  readonly sgxTcbComponents: number[];
  readonly pcesvn: number;
  readonly pceId: string;
  /** lowercase hex, 6 bytes */
  readonly fmspc: string;
  readonly caType: 'processor' | 'platform';
  readonly platformInstanceId?: string;
}

function fail(message: string, cause?: unknown): never {
  throw new VerifyError('PCK_EXTENSION_INVALID', `PCK certificate SGX extension: ${message}`, cause === undefined ? undefined : { cause });
}

function octets(buf: Uint8Array, node: DerNode, what: string, size: number): Uint8Array {
  if (node.tag !== DER_TAG.OCTET_STRING) fail(`${what} must be an OCTET STRING`);
  const c = content(buf, node);
  if (c.length !== size) fail(`${what} length check: got ${c.length}, want ${size}`);
  return c;
}

/** Reads the SGX extension of a PCK leaf certificate (DER). Throws PCK_EXTENSION_INVALID. */
export function parsePckExtensions(certDer: Uint8Array): PckExtensions {
  return pckExtensionsOf(parseCert(certDer, 'PCK_EXTENSION_INVALID', 'PCK certificate'));
}

/** The same from a certificate parsed already (the verifier's PCK leaf: not parsed twice). */
export function pckExtensionsOf(cert: ParsedCert): PckExtensions {
  const issuerCn = commonName(cert.issuer);
  const caType = issuerCn === 'Intel SGX PCK Processor CA' ? 'processor' : issuerCn === 'Intel SGX PCK Platform CA' ? 'platform' : undefined;
  if (caType === undefined) fail(`issuer CN check: got '${issuerCn ?? ''}', want 'Intel SGX PCK Processor CA' or 'Intel SGX PCK Platform CA'`);
  const der = cert.der;
  let value: Uint8Array | undefined;
  try {
    for (const ext of cert.extensions) {
      const [oid, second, third] = children(der, ext);
      if (oid !== undefined && readOid(der, oid) === OID_SGX_EXTENSION) {
        const v = second?.tag === DER_TAG.BOOLEAN ? third : second;
        if (v === undefined || v.tag !== DER_TAG.OCTET_STRING) fail('extnValue must be an OCTET STRING');
        if (value !== undefined) fail('the extension appears twice');
        value = content(der, v);
      }
    }
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    fail(`unreadable extensions (${(e as Error).message})`, e);
  }
  if (value === undefined) fail(`extension ${OID_SGX_EXTENSION} is missing`);
  try {
    return readSgxExtension(value, caType);
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    if (e instanceof DerError) fail(e.message, e);
    throw e;
  }
}

const SGX_OID_BYTES = [0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01]; // 1.2.840.113741.1.13.1
const SGX_OID_DOT = `${OID_SGX_EXTENSION}.`;

/** Key of the sub-OID .a (a) or .a.b (1000 + 128a + b) for arcs below 128. */
const subKey = (a: number, b?: number): number => (b === undefined ? a : 1000 + a * 128 + b);

/**
 * Map key of an entry OID: a number for OIDs under the SGX extension OID with one or two small
 * arcs, read straight from the bytes (no dotted string per entry: a PCK certificate has about
 * 25 of them); any other OID, or a non-minimal encoding, goes through readOid and gets the
 * same key its dotted form implies.
 */
function entryKey(buf: Uint8Array, node: DerNode): number | string {
  expectTag(node, DER_TAG.OID, 'OID');
  const n = node.end - node.contentStart;
  const c = node.contentStart;
  if (n === 10 || n === 11) {
    let i = 0;
    while (i < 9 && buf[c + i] === SGX_OID_BYTES[i]) i++;
    const a = buf[c + 9]!;
    const b = n === 11 ? buf[c + 10]! : 0;
    if (i === 9 && a < 0x80 && b < 0x80) return n === 10 ? subKey(a) : subKey(a, b);
  }
  const dotted = readOid(buf, node);
  if (!dotted.startsWith(SGX_OID_DOT)) return dotted;
  const arcs = dotted.slice(SGX_OID_DOT.length).split('.').map(Number);
  if (arcs.length === 1 && arcs[0]! < 128) return subKey(arcs[0]!);
  if (arcs.length === 2 && arcs[0]! < 128 && arcs[1]! < 128) return subKey(arcs[0]!, arcs[1]!);
  return dotted;
}

/** Labels of the TCB entries .2.N, built once (messages only). */
const TCB_LABELS = Array.from({ length: 19 }, (_, n) => `TCB entry .2.${n}`);

/** The entry under `key`, or PCK_EXTENSION_INVALID naming it. */
function need(map: ReadonlyMap<number | string, DerNode>, key: number, label: string): DerNode {
  return map.get(key) ?? fail(`${label} is missing`);
}

function readSgxExtension(buf: Uint8Array, caType: 'processor' | 'platform'): PckExtensions {
  const seq = expectTag(readNode(buf, 0), DER_TAG.SEQUENCE, 'SGX extensions');
  if (seq.end !== buf.length) fail('trailing bytes');
  const fields = new Map<number | string, DerNode>();
  for (const entry of children(buf, seq)) {
    const [oid, val] = children(buf, expectTag(entry, DER_TAG.SEQUENCE, 'SGX extension entry'));
    if (oid === undefined || val === undefined) fail('entry without OID and value');
    const id = entryKey(buf, oid);
    if (fields.has(id)) fail(`duplicate entry ${readOid(buf, oid)}`);
    fields.set(id, val);
  }

  const tcbNode = expectTag(need(fields, subKey(2), 'entry .2'), DER_TAG.SEQUENCE, 'TCB');
  const tcb = new Map<number | string, DerNode>();
  for (const entry of children(buf, tcbNode)) {
    const [oid, val] = children(buf, expectTag(entry, DER_TAG.SEQUENCE, 'TCB entry'));
    if (oid === undefined || val === undefined) fail('TCB entry without OID and value');
    tcb.set(entryKey(buf, oid), val);
  }
  const sgxTcbComponents: number[] = [];
  for (let n = 1; n <= 16; n++) {
    const v = readSmallInt(buf, need(tcb, subKey(2, n), TCB_LABELS[n]!));
    if (v > 255) fail(`TCB component ${n} out of range: ${v}`);
    sgxTcbComponents.push(v);
  }
  const pcesvn = readSmallInt(buf, need(tcb, subKey(2, 17), TCB_LABELS[17]!));
  if (pcesvn > 0xffff) fail(`PCESVN out of range: ${pcesvn}`);
  const cpusvn = toHex(octets(buf, need(tcb, subKey(2, 18), TCB_LABELS[18]!), 'CPUSVN', 16));

  const sgxType = readSmallInt(buf, need(fields, subKey(5), 'entry .5'));
  const instance = fields.get(subKey(6));
  const out: PckExtensions = {
    ppid: toHex(octets(buf, need(fields, subKey(1), 'entry .1'), 'PPID', 16)),
    cpusvn,
    sgxTcbComponents,
    pcesvn,
    pceId: toHex(octets(buf, need(fields, subKey(3), 'entry .3'), 'PCE-ID', 2)),
    fmspc: toHex(octets(buf, need(fields, subKey(4), 'entry .4'), 'FMSPC', 6)),
    caType,
    ...(instance !== undefined ? { platformInstanceId: toHex(octets(buf, instance, 'PlatformInstanceID', 16)) } : {}),
  };
  // SGX type: 0 = Standard (processor CA), 1 = Scalable, 2 = Scalable with integrity (platform CA).
  if (sgxType > 2) fail(`SGX type check: got ${sgxType}, want 0, 1 or 2`);
  return out;
}
