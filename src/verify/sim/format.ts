import { VerifyError } from '../errors.js';

/**
 * The simulated-TEE evidence format (version 1). Pure: no I/O, no crypto. Shared by the
 * simulated evidence provider (src/tee/simulated, which signs) and the verifier (which checks).
 * It lives here, not in src/tee/, because verify/ must not import upwards.
 *
 *   offset  size  field
 *   0       16    magic "CLOISTER-SIMTEE\0" (never a DCAP quote: those start with version 3..5 LE;
 *                 never an SEV-SNP report: version 2..5 LE; never an Azure HCL report: "HCLA")
 *   16      2     version, u16 big-endian = 1
 *   18      2     reserved, must be zero
 *   20      48    measurement (SHA-384, `cloister measure`)
 *   68      64    reportData (binds the evidence to a key and a nonce; chosen by the caller)
 *   132     2     n = length of the platform key, u16 big-endian
 *   134     n     platform key: DER SubjectPublicKeyInfo, ECDSA P-384 (n = 120)
 *   134+n   96    signature: ECDSA P-384 / SHA-384, r || s (IEEE P1363), over
 *                 SIGNING_LABEL || bytes[0 .. 134+n)
 *
 * The label keeps the signature from being valid for any other message the platform key could
 * sign; every byte before the signature is signed, so there is no unauthenticated field.
 */
export const SIM_EVIDENCE_MAGIC = new Uint8Array(Buffer.from('CLOISTER-SIMTEE\0', 'latin1'));
export const SIM_EVIDENCE_VERSION = 1;
export const SIM_SIGNING_LABEL = new Uint8Array(Buffer.from('cloister/simulated-evidence/v1\0', 'latin1'));
export const SIM_MEASUREMENT_SIZE = 48;
export const SIM_REPORT_DATA_SIZE = 64;
export const SIM_SIGNATURE_SIZE = 96;
const OFF = { version: 16, reserved: 18, measurement: 20, reportData: 68, keyLength: 132, key: 134 } as const;
/** Largest platform key accepted (P-384 SPKI is 120 bytes; a little slack costs nothing). */
const MAX_KEY_SIZE = 512;

export interface SimulatedEvidence {
  readonly version: 1;
  readonly kind: 'cloister-simulated-evidence';
  readonly measurement: Uint8Array;
  readonly reportData: Uint8Array;
  /** DER SubjectPublicKeyInfo of the platform key */
  readonly platformKey: Uint8Array;
  readonly signature: Uint8Array;
  /** the exact bytes the signature covers, label excluded */
  readonly signedBody: Uint8Array;
}

/** Cheap sniffing: true when the bytes start with the simulated-evidence magic. */
export function looksLikeSimulatedEvidence(bytes: Uint8Array): boolean {
  if (bytes.length < SIM_EVIDENCE_MAGIC.length) return false;
  for (let i = 0; i < SIM_EVIDENCE_MAGIC.length; i++) if (bytes[i] !== SIM_EVIDENCE_MAGIC[i]) return false;
  return true;
}

/** The body (everything before the signature) for the given fields; the provider signs it. */
export function encodeSimulatedEvidenceBody(f: { measurement: Uint8Array; reportData: Uint8Array; platformKey: Uint8Array }): Uint8Array {
  if (f.measurement.length !== SIM_MEASUREMENT_SIZE) malformed(`measurement is ${f.measurement.length} bytes, want ${SIM_MEASUREMENT_SIZE}`);
  if (f.reportData.length !== SIM_REPORT_DATA_SIZE) malformed(`reportData is ${f.reportData.length} bytes, want ${SIM_REPORT_DATA_SIZE}`);
  if (f.platformKey.length === 0 || f.platformKey.length > MAX_KEY_SIZE) malformed(`platform key is ${f.platformKey.length} bytes, want 1..${MAX_KEY_SIZE}`);
  const out = new Uint8Array(OFF.key + f.platformKey.length);
  const view = new DataView(out.buffer);
  out.set(SIM_EVIDENCE_MAGIC, 0);
  view.setUint16(OFF.version, SIM_EVIDENCE_VERSION);
  out.set(f.measurement, OFF.measurement);
  out.set(f.reportData, OFF.reportData);
  view.setUint16(OFF.keyLength, f.platformKey.length);
  out.set(f.platformKey, OFF.key);
  return out;
}

/** What gets signed: the domain label followed by the body. */
export function simulatedSignedMessage(body: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([SIM_SIGNING_LABEL, body]));
}

/** Parses simulated evidence strictly (exact length, zero reserved field); SIM_EVIDENCE_MALFORMED otherwise. */
export function parseSimulatedEvidence(bytes: Uint8Array): SimulatedEvidence {
  if (!looksLikeSimulatedEvidence(bytes)) malformed('the bytes do not start with the simulated-evidence magic');
  if (bytes.length < OFF.key) malformed(`evidence is ${bytes.length} bytes, shorter than the ${OFF.key}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(OFF.version);
  if (version !== SIM_EVIDENCE_VERSION) malformed(`version is ${version}, want ${SIM_EVIDENCE_VERSION}`);
  const reserved = view.getUint16(OFF.reserved);
  if (reserved !== 0) malformed(`reserved field is 0x${reserved.toString(16)}, want 0`);
  const keyLength = view.getUint16(OFF.keyLength);
  if (keyLength === 0 || keyLength > MAX_KEY_SIZE) malformed(`platform key length is ${keyLength}, want 1..${MAX_KEY_SIZE}`);
  const want = OFF.key + keyLength + SIM_SIGNATURE_SIZE;
  if (bytes.length !== want) malformed(`evidence is ${bytes.length} bytes, want ${want} for a ${keyLength}-byte platform key`);
  const copy = bytes.slice();
  return {
    version: 1,
    kind: 'cloister-simulated-evidence',
    measurement: copy.subarray(OFF.measurement, OFF.measurement + SIM_MEASUREMENT_SIZE),
    reportData: copy.subarray(OFF.reportData, OFF.reportData + SIM_REPORT_DATA_SIZE),
    platformKey: copy.subarray(OFF.key, OFF.key + keyLength),
    signature: copy.subarray(OFF.key + keyLength),
    signedBody: copy.subarray(0, OFF.key + keyLength),
  };
}

/** The inverse of parse: body || signature. */
export function serializeSimulatedEvidence(e: Pick<SimulatedEvidence, 'measurement' | 'reportData' | 'platformKey' | 'signature'>): Uint8Array {
  if (e.signature.length !== SIM_SIGNATURE_SIZE) malformed(`signature is ${e.signature.length} bytes, want ${SIM_SIGNATURE_SIZE}`);
  return new Uint8Array(Buffer.concat([encodeSimulatedEvidenceBody(e), e.signature]));
}

function malformed(why: string): never {
  throw new VerifyError('SIM_EVIDENCE_MALFORMED', `simulated evidence malformed: ${why}`);
}
