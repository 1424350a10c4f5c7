import type { KeyObject, X509Certificate } from 'node:crypto';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { pemBlocks } from '../common/pem.js';
import { loadPlatform, platformPublicKeyPem } from '../tee/index.js';
import { auditHeadBytes, type AuditHead } from '../audit/index.js';
import { coordinatorReportData, verifyEvidence, type VerifyEvidenceOptions } from '../verify/index.js';
import { verifySimulatedEvidence, type SimulatedClaims } from '../verify/sim/index.js';
import type { SgxClaims, SnpClaims, TcbStatus, TdxClaims } from '../verify/types.js';
import { chainProblem, parseCertificate, rootProblem, spkiOf } from './cert_chain.js';
import { ClientError } from './errors.js';
import { endpoint, parseCoordinatorUrl, request } from './https.js';
import { attestationResponseSchema, decodeBase64, parseResponse, type AttestationResponse } from './responses.js';

export interface AttestCoordinatorOptions {
  /** accept a coordinator with a simulated TEE (or in simulation mode); development only */
  readonly simulation: boolean;
  /** simulated platform keys to trust (SPKI PEM or KeyObject); default: the local platform's key */
  readonly trustedPlatformKeys?: readonly (string | KeyObject)[];
  /** the local simulated platform directory (default $CLOISTER_SIM_PLATFORM_DIR or ~/.cloister/sim-platform) */
  readonly platformDir?: string;
  /** lowercase hex SHA-256 manifest hash the coordinator must attest */
  readonly expectedManifestHash?: string;
  readonly now: Date;
  readonly random: Random;
  /** hardware evidence policy (accepted TCB statuses, debug, extra trust roots...) */
  readonly verifyOptions?: Omit<VerifyEvidenceOptions, 'tee' | 'collateral' | 'certs' | 'now'>;
  readonly timeoutMs?: number;
}

export interface AttestedCoordinator {
  readonly url: string;
  /** the attested root CA: pin it for every later request */
  readonly rootCaPem: string;
  readonly intermediateCaPem?: string;
  /** the manifest hash the evidence commits to; null before a manifest is set */
  readonly manifestHash: string | null;
  /** the audit log head the evidence commits to: every entry up to it is attested history */
  readonly auditHead: AuditHead;
  readonly tee: AttestationResponse['tee'];
  /** true when the TEE is simulated or the coordinator runs in simulation mode: no hardware protection */
  readonly simulated: boolean;
  readonly claims: SimulatedClaims | SgxClaims | TdxClaims | SnpClaims;
  /** hardware TCB status (absent for simulated evidence) */
  readonly status?: TcbStatus;
  /** SHA-256 of the root CA's DER, lowercase hex */
  readonly rootCaFingerprint: string;
}

export const NONCE_SIZE = 32;
const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Attests the coordinator before anything is sent to it (docs/api.md "Attestation"), checking in
 * order: simulation is acceptable, the evidence verifies, its report data commits to the
 * returned root CA + manifest hash + our fresh nonce, the root is a sane CA, the manifest hash
 * is the expected one, and the TLS certificate of the SAME connection chains to that root (so
 * the answer came from the TEE holding the root key, not from a relay).
 */
export async function attestCoordinator(coordinatorUrl: string, o: AttestCoordinatorOptions): Promise<AttestedCoordinator> {
  const base = parseCoordinatorUrl(coordinatorUrl);
  const nonce = o.random.bytes(NONCE_SIZE);
  if (nonce.length !== NONCE_SIZE) throw new RangeError(`Random.bytes(${NONCE_SIZE}) returned ${nonce.length} bytes`);
  const url = endpoint(base, `/api/v1/attestation?nonce=${toHex(nonce)}`);
  const res = await request('GET', url, undefined, { timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const a = parseResponse(attestationResponseSchema, res.json, 'attestation');
  const where = `coordinator ${base.href}`;

  // The simulation flag/header is not covered by the evidence; it only makes refusal earlier and
  // clearer. The protection is that simulated evidence is refused without --simulation.
  const simulated = a.tee === 'simulated' || a.simulation === true || res.simulation;
  if (simulated && !o.simulation) {
    throw new ClientError(
      'SIMULATED_COORDINATOR_NOT_ALLOWED',
      `${where} runs ${a.tee === 'simulated' ? 'a SIMULATED TEE' : 'in simulation mode'}, which protects nothing; pass --simulation to accept it (development only)`,
      { detail: { tee: a.tee } },
    );
  }

  const evidence = decodeBase64(a.evidence);
  const verified = a.tee === 'simulated' ? await verifySimulated(evidence, o, where) : await verifyHardware(a, evidence, o, where);

  const rootBlocks = pemBlocks(a.rootCa).filter((b) => b.label === 'CERTIFICATE');
  const root = rootBlocks.length === 1 ? parseCertificate(rootBlocks[0]!.der) : undefined;
  if (root === undefined) {
    throw new ClientError('COORDINATOR_RESPONSE_INVALID', `${where}: rootCa is not exactly one parseable PEM certificate`);
  }
  const manifestHashBytes = a.manifestHash === null ? new Uint8Array(0) : decodeHex(a.manifestHash);
  let headBytes: Uint8Array;
  try {
    headBytes = auditHeadBytes(a.auditHead);
  } catch (cause) {
    throw new ClientError('COORDINATOR_RESPONSE_INVALID', `${where}: auditHead is not a valid audit head: ${(cause as Error).message}`, { cause });
  }
  const want = coordinatorReportData(spkiOf(root), manifestHashBytes, headBytes, nonce);
  const got = Buffer.from(verified.claims.reportData, 'hex');
  if (!constantTimeEqual(got, want)) {
    throw new ClientError(
      'COORDINATOR_REPORT_DATA_MISMATCH',
      `${where}: the evidence's report data does not commit to the returned root CA, manifest hash, audit head and our nonce (got ${verified.claims.reportData}, want ${toHex(want)}); the answer was altered or replayed`,
      { detail: { got: verified.claims.reportData, want: toHex(want) } },
    );
  }
  const bad = rootProblem(root, o.now);
  if (bad !== undefined) throw new ClientError('COORDINATOR_ROOT_CA_INVALID', `${where}: attested root CA: ${bad}`);

  if (o.expectedManifestHash !== undefined && a.manifestHash !== o.expectedManifestHash.toLowerCase()) {
    throw new ClientError(
      'MANIFEST_HASH_MISMATCH',
      `${where} attests manifest hash ${a.manifestHash ?? '(none: no manifest set)'}, want ${o.expectedManifestHash.toLowerCase()}; it does not run the manifest you expect`,
      { detail: { got: a.manifestHash, want: o.expectedManifestHash.toLowerCase() } },
    );
  }

  checkTlsPeer(res.peerCertificates ?? [], root, o.now, where);

  return {
    url: base.href,
    rootCaPem: rootBlocks[0]!.pem + '\n',
    ...(a.intermediateCa === undefined ? {} : { intermediateCaPem: a.intermediateCa }),
    manifestHash: a.manifestHash,
    auditHead: { seq: a.auditHead.seq, hash: a.auditHead.hash },
    tee: a.tee,
    simulated,
    claims: verified.claims,
    ...(verified.status === undefined ? {} : { status: verified.status }),
    rootCaFingerprint: root.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

type Verified = { claims: AttestedCoordinator['claims']; status?: TcbStatus };

async function verifySimulated(evidence: Uint8Array, o: AttestCoordinatorOptions, where: string): Promise<Verified> {
  const keys = o.trustedPlatformKeys ?? (await localPlatformKey(o.platformDir));
  try {
    return { claims: verifySimulatedEvidence(evidence, { trustedPlatformKeys: keys }).claims };
  } catch (e) {
    throw attestationInvalid(where, e, 'check that the coordinator runs on this host, or pass its platform key (--sim-platform-key)');
  }
}

async function localPlatformKey(dir: string | undefined): Promise<string[]> {
  try {
    return [platformPublicKeyPem(await loadPlatform(dir))];
  } catch (cause) {
    throw new ClientError(
      'TRUSTED_PLATFORM_KEY_MISSING',
      `no trusted simulated platform key: ${(cause as Error).message}; pass --sim-platform-key FILE or set CLOISTER_SIM_PLATFORM_DIR to the coordinator's platform directory`,
      { cause },
    );
  }
}

async function verifyHardware(a: AttestationResponse, evidence: Uint8Array, o: AttestCoordinatorOptions, where: string): Promise<Verified> {
  const tee = a.tee as 'sgx' | 'tdx' | 'snp';
  const r = await verifyEvidence(evidence, {
    ...o.verifyOptions,
    tee,
    now: o.now,
    ...(a.collateral === undefined ? {} : { collateral: a.collateral }),
    ...(a.certs === undefined ? {} : { certs: a.certs.map(decodeBase64) }),
  });
  if (!r.ok) {
    throw new ClientError('COORDINATOR_ATTESTATION_INVALID', `${where}: its ${tee.toUpperCase()} evidence does not verify: ${r.error.code}: ${r.error.message}`, {
      detail: { reason: r.error.code, tee },
    });
  }
  return { claims: r.claims, status: r.status };
}

function attestationInvalid(where: string, e: unknown, hint: string): ClientError {
  const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'INTERNAL_ERROR';
  return new ClientError('COORDINATOR_ATTESTATION_INVALID', `${where}: its simulated evidence does not verify: ${code}: ${(e as Error).message}; ${hint}`, {
    cause: e,
    detail: { reason: code, tee: 'simulated' },
  });
}

function checkTlsPeer(peer: readonly Uint8Array[], root: X509Certificate, now: Date, where: string): void {
  const [leafDer, ...rest] = peer;
  const leaf = leafDer === undefined ? undefined : parseCertificate(leafDer);
  const intermediates = rest.map((d) => parseCertificate(d)).filter((c): c is X509Certificate => c !== undefined);
  const problem = leaf === undefined ? 'the server presented no certificate' : chainProblem(leaf, intermediates, root, now);
  if (problem !== undefined) {
    throw new ClientError(
      'COORDINATOR_TLS_MISMATCH',
      `${where}: the TLS certificate of this connection does not chain to the attested root CA (${problem}); a proxy or another server answered, connect to the coordinator directly`,
    );
  }
}

function decodeHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex')); // the schema admits only 64 lowercase hex digits
}
