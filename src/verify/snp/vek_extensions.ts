import { DER_TAG, DerError, children, content, expectTag, readNode, readOid, readSmallInt } from '../../common/der.js';
import { VerifyError } from '../errors.js';
import type { SnpTcb } from '../types.js';

/**
 * AMD VCEK/VLEK X.509 extensions (AMD "Versioned Chip Endorsement Key (VCEK) Certificate and
 * KDS Interface Specification" 57230; go-sev-guest kds/kds.go, virtee/sev src/certs/snp).
 * Each extnValue wraps a DER value, except hwID, whose OCTET STRING holds the raw chip id.
 */
export const VEK_OID = {
  structVersion: '1.3.6.1.4.1.3704.1.1',
  productName: '1.3.6.1.4.1.3704.1.2',
  blSpl: '1.3.6.1.4.1.3704.1.3.1',
  teeSpl: '1.3.6.1.4.1.3704.1.3.2',
  snpSpl: '1.3.6.1.4.1.3704.1.3.3',
  ucodeSpl: '1.3.6.1.4.1.3704.1.3.8',
  fmcSpl: '1.3.6.1.4.1.3704.1.3.9', // Turin and later
  hwId: '1.3.6.1.4.1.3704.1.4', // VCEK only
} as const;

export interface VekExtensions {
  readonly structVersion: number | undefined;
  /** e.g. 'Milan-B0', 'Genoa', 'Turin' */
  readonly productName: string | undefined;
  readonly tcb: SnpTcb;
  /** 64 bytes (Milan, Genoa) or 8 bytes (Turin); absent for a VLEK */
  readonly hwId: Uint8Array | undefined;
}

function invalid(message: string, cause?: unknown): never {
  throw new VerifyError('VEK_EXTENSIONS_INVALID', `VCEK/VLEK extensions: ${message}`, cause === undefined ? undefined : { cause });
}

/** Every extension of a certificate as OID -> extnValue content (duplicates rejected, RFC 5280 4.2). */
function extensionsOf(der: Uint8Array): Map<string, Uint8Array> {
  const cert = expectTag(readNode(der, 0), DER_TAG.SEQUENCE, 'Certificate');
  const tbs = expectTag(children(der, cert)[0] ?? invalid('empty certificate'), DER_TAG.SEQUENCE, 'TBSCertificate');
  const out = new Map<string, Uint8Array>();
  const exts = children(der, tbs).find((n) => n.tag === 0xa3); // [3] EXPLICIT Extensions
  if (exts === undefined) return out;
  const list = expectTag(children(der, exts)[0] ?? invalid('empty extensions'), DER_TAG.SEQUENCE, 'Extensions');
  for (const ext of children(der, list)) {
    const parts = children(der, expectTag(ext, DER_TAG.SEQUENCE, 'Extension'));
    const oid = readOid(der, parts[0] ?? invalid('extension without OID'));
    const value = expectTag(parts[parts.length - 1] ?? invalid('extension without value'), DER_TAG.OCTET_STRING, 'extnValue');
    if (out.has(oid)) invalid(`extension ${oid} appears twice`);
    out.set(oid, content(der, value));
  }
  return out;
}

function innerInt(v: Uint8Array | undefined, name: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  const node = readNode(v, 0);
  if (node.end !== v.length) invalid(`${name}: trailing bytes after the INTEGER`);
  const n = readSmallInt(v, node);
  if (n > max) invalid(`${name}: got ${n}, want at most ${max}`);
  return n;
}

function requiredSpl(exts: Map<string, Uint8Array>, oid: string, name: string): number {
  return innerInt(exts.get(oid), name, 255) ?? invalid(`${name} (${oid}) is missing`);
}

/** Reads the AMD extensions of a VCEK/VLEK certificate (DER). TCB SPLs are required. */
export function parseVekExtensions(certDer: Uint8Array): VekExtensions {
  try {
    const exts = extensionsOf(certDer);
    let productName: string | undefined;
    const pn = exts.get(VEK_OID.productName);
    if (pn !== undefined) {
      const node = readNode(pn, 0);
      if (node.tag !== DER_TAG.IA5_STRING && node.tag !== DER_TAG.UTF8_STRING && node.tag !== DER_TAG.PRINTABLE_STRING) invalid('productName is not a string');
      if (node.end !== pn.length) invalid('productName: trailing bytes');
      productName = Buffer.from(content(pn, node)).toString('latin1');
    }
    const fmc = innerInt(exts.get(VEK_OID.fmcSpl), 'fmcSPL', 255);
    const tcb: SnpTcb = {
      bootloader: requiredSpl(exts, VEK_OID.blSpl, 'blSPL'),
      tee: requiredSpl(exts, VEK_OID.teeSpl, 'teeSPL'),
      snp: requiredSpl(exts, VEK_OID.snpSpl, 'snpSPL'),
      microcode: requiredSpl(exts, VEK_OID.ucodeSpl, 'ucodeSPL'),
      ...(fmc === undefined ? {} : { fmc }),
    };
    const hw = exts.get(VEK_OID.hwId);
    return {
      structVersion: innerInt(exts.get(VEK_OID.structVersion), 'structVersion', 0xffff),
      productName,
      tcb,
      hwId: hw === undefined ? undefined : hw.slice(),
    };
  } catch (e) {
    if (e instanceof DerError) invalid('malformed DER', e);
    throw e;
  }
}
