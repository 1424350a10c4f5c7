import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { toHex } from '../common/bytes.js';
import { K8sError } from './errors.js';

/**
 * Kata Containers initdata: a TOML document the runtime hands to the confidential VM, whose
 * digest the host puts into the TEE's launch data so that attestation proves which document
 * (agent policy, guest configuration) the VM started with. Facts (upstream sources in brackets):
 * - TOML: `version = "0.1.0"` (the only accepted value), `algorithm = "sha256"|"sha384"|"sha512"`,
 *   a `[data]` table of strings [kata-containers src/libs/kata-types/src/initdata.rs];
 * - digest = `algorithm` over the TOML bytes exactly as written (no re-serialization), then
 *   zero-padded or truncated to the TEE field: SEV-SNP HOST_DATA 32 bytes, TDX MRCONFIGID 48
 *   bytes [kata src/runtime/pkg/govmm/qemu/qemu.go adjustProperLength; trustee kbs/docs/initdata.md];
 * - pod annotation `io.katacontainers.config.hypervisor.cc_init_data` = base64(gzip(TOML)).
 * So the text we render is the text we hash and the text we compress: one byte string.
 */
export type InitdataAlgorithm = 'sha256' | 'sha384' | 'sha512';
export const INITDATA_ALGORITHMS: readonly InitdataAlgorithm[] = ['sha256', 'sha384', 'sha512'];
export const INITDATA_VERSION = '0.1.0';
export const SNP_HOST_DATA_SIZE = 32;
export const TDX_MR_CONFIG_ID_SIZE = 48;
/** Decompressed size bound for annotations we read (genpolicy policies are ~60 KB). */
const MAX_INITDATA_BYTES = 4 * 1024 * 1024;

export interface InitdataDigest {
  readonly algorithm: InitdataAlgorithm;
  /** lowercase hex of the full digest */
  readonly digest: string;
  /** the digest bound to SEV-SNP HOST_DATA (32 bytes), lowercase hex: a manifest `snp.hostData` value */
  readonly snpHostData: string;
  /** the digest bound to TDX MRCONFIGID (48 bytes), lowercase hex: a manifest `tdx.mrConfigId` value */
  readonly tdxMrConfigId: string;
}

/**
 * Renders the document the way genpolicy does (kata src/tools/genpolicy/src/utils.rs): header,
 * blank line, `[data]`, then one multi-line literal string per key, sorted by key so the same
 * inputs always give the same bytes (and the same digest).
 */
export function renderInitdata(o: { algorithm: InitdataAlgorithm; data: Readonly<Record<string, string>> }): string {
  checkAlgorithm(o.algorithm);
  const entries = Object.keys(o.data)
    .sort()
    .map((k) => `${basicString(k)} = ${tomlString(o.data[k]!)}\n`);
  return `version = "${INITDATA_VERSION}"\nalgorithm = "${o.algorithm}"\n\n[data]\n${entries.join('')}`;
}

/** Digest of the exact bytes, and its binding to each TEE's launch-data field. */
export function initdataDigest(toml: string | Uint8Array): InitdataDigest {
  const bytes = typeof toml === 'string' ? Buffer.from(toml, 'utf8') : Buffer.from(toml);
  const { algorithm } = readInitdataHeader(bytes);
  const digest = new Uint8Array(createHash(algorithm).update(bytes).digest());
  return {
    algorithm,
    digest: toHex(digest),
    snpHostData: toHex(bindDigest(digest, SNP_HOST_DATA_SIZE)),
    tdxMrConfigId: toHex(bindDigest(digest, TDX_MR_CONFIG_ID_SIZE)),
  };
}

/**
 * Kata's rule for a digest that does not fit its TEE field: zero-pad at the end, or cut the
 * end off (kata-types `adjust_digest`). This is the specified binding, not a lenient compare.
 */
export function bindDigest(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(digest.subarray(0, size));
  return out;
}

export function encodeInitdataAnnotation(toml: string | Uint8Array): string {
  const bytes = typeof toml === 'string' ? Buffer.from(toml, 'utf8') : Buffer.from(toml);
  return gzipSync(bytes, { level: 9 }).toString('base64');
}

/** The TOML bytes inside an annotation value (standard base64 with padding, of gzip). */
export function decodeInitdataAnnotation(value: string): Uint8Array {
  const text = value.trim();
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new K8sError('K8S_INITDATA_INVALID', 'initdata annotation is not standard base64 with padding');
  }
  try {
    return new Uint8Array(gunzipSync(Buffer.from(text, 'base64'), { maxOutputLength: MAX_INITDATA_BYTES }));
  } catch (cause) {
    throw new K8sError('K8S_INITDATA_INVALID', `initdata annotation is not gzip data of at most ${MAX_INITDATA_BYTES} bytes`, { cause });
  }
}

/**
 * Reads `version` and `algorithm` from the top-level table (before the first `[table]`), the
 * two fields the digest depends on. The rest is the agent's to parse; we hash it untouched.
 */
export function readInitdataHeader(bytes: Uint8Array): { version: string; algorithm: InitdataAlgorithm } {
  const text = Buffer.from(bytes).toString('utf8');
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) break;
    if (t === '' || t.startsWith('#')) continue;
    const m = /^(version|algorithm)\s*=\s*(?:"([^"\\]*)"|'([^']*)')\s*(?:#.*)?$/.exec(t);
    if (m === null) continue;
    if (fields[m[1]!] !== undefined) throw new K8sError('K8S_INITDATA_INVALID', `initdata defines '${m[1]}' twice`);
    fields[m[1]!] = m[2] ?? m[3]!;
  }
  if (fields.version !== INITDATA_VERSION) {
    throw new K8sError('K8S_INITDATA_INVALID', `initdata version: got ${JSON.stringify(fields.version ?? null)}, want "${INITDATA_VERSION}"`);
  }
  return { version: fields.version, algorithm: checkAlgorithm(fields.algorithm ?? '(missing)') };
}

export function checkAlgorithm(a: string): InitdataAlgorithm {
  if (!(INITDATA_ALGORITHMS as readonly string[]).includes(a)) {
    throw new K8sError('K8S_INITDATA_INVALID', `initdata algorithm: got '${a}', want one of ${INITDATA_ALGORITHMS.join(', ')}`);
  }
  return a as InitdataAlgorithm;
}

/**
 * A multi-line literal string (TOML 1.0): the newline after the opening ''' is not part of the
 * value, nothing is escaped. It cannot hold ''' or control characters other than tab, LF and
 * CR LF; such values fall back to an escaped basic string.
 */
function tomlString(v: string): string {
  // eslint-disable-next-line no-control-regex
  const literalSafe = !v.includes("'''") && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\r(?!\n)/.test(v) && !v.endsWith("'");
  return literalSafe ? `'''\n${v}'''` : basicString(v);
}

function basicString(v: string): string {
  let out = '"';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
