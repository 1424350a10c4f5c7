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

function readSgxExtension(buf: Uint8Array, caType: 'processor' | 'platform'): PckExtensions {
  const seq = expectTag(readNode(buf, 0), DER_TAG.SEQUENCE, 'SGX extensions');
  if (seq.end !== buf.length) fail('trailing bytes');
  const fields = new Map<string, DerNode>();
  for (const entry of children(buf, seq)) {
    const [oid, val] = children(buf, expectTag(entry, DER_TAG.SEQUENCE, 'SGX extension entry'));
    if (oid === undefined || val === undefined) fail('entry without OID and value');
    const id = readOid(buf, oid);
    if (fields.has(id)) fail(`duplicate entry ${id}`);
    fields.set(id, val);
  }
  const get = (suffix: string): DerNode => fields.get(`${OID_SGX_EXTENSION}.${suffix}`) ?? fail(`entry .${suffix} is missing`);

  const tcbNode = expectTag(get('2'), DER_TAG.SEQUENCE, 'TCB');
  const tcb = new Map<string, DerNode>();
  for (const entry of children(buf, tcbNode)) {
    const [oid, val] = children(buf, expectTag(entry, DER_TAG.SEQUENCE, 'TCB entry'));
    if (oid === undefined || val === undefined) fail('TCB entry without OID and value');
    tcb.set(readOid(buf, oid), val);
  }
  const tcbGet = (n: number): DerNode => tcb.get(`${OID_SGX_EXTENSION}.2.${n}`) ?? fail(`TCB entry .2.${n} is missing`);
  const sgxTcbComponents: number[] = [];
  for (let n = 1; n <= 16; n++) {
    const v = readSmallInt(buf, tcbGet(n));
    if (v > 255) fail(`TCB component ${n} out of range: ${v}`);
    sgxTcbComponents.push(v);
  }
  const pcesvn = readSmallInt(buf, tcbGet(17));
  if (pcesvn > 0xffff) fail(`PCESVN out of range: ${pcesvn}`);
  const cpusvn = toHex(octets(buf, tcbGet(18), 'CPUSVN', 16));

  const sgxType = readSmallInt(buf, get('5'));
  const instance = fields.get(`${OID_SGX_EXTENSION}.6`);
  const out: PckExtensions = {
    ppid: toHex(octets(buf, get('1'), 'PPID', 16)),
    cpusvn,
    sgxTcbComponents,
    pcesvn,
    pceId: toHex(octets(buf, get('3'), 'PCE-ID', 2)),
    fmspc: toHex(octets(buf, get('4'), 'FMSPC', 6)),
    caType,
    ...(instance !== undefined ? { platformInstanceId: toHex(octets(buf, instance, 'PlatformInstanceID', 16)) } : {}),
  };
  // SGX type: 0 = Standard (processor CA), 1 = Scalable, 2 = Scalable with integrity (platform CA).
  if (sgxType > 2) fail(`SGX type check: got ${sgxType}, want 0, 1 or 2`);
  return out;
}
