import type { Logger } from 'pino';
import { constantTimeEqual, fromHexStrict, toHex } from '../common/bytes.js';
import { CloisterError } from '../common/errors.js';
import type { Clock, Random } from '../common/clock.js';
import { dataKeyId } from '../store/index.js';
import { framedDigest, type TcbStatus } from '../verify/index.js';
import { CoordinatorError } from './codes.js';
import type { NonceRegistry } from './nonces.js';
import { sealReplicaKey, x25519PublicKey } from './replica_key_envelope.js';
import { checkReplicaAcceptance, checkReplicaMeasurement, replicaMeasurementOf, type ReplicaMeasurement } from './replica_measurement.js';
import type { WorkloadEvidence, WorkloadVerifier } from './workload_verifier.js';

/**
 * The serving side of the replica data-key exchange (issue #8). A replica that holds the
 * state's data key hands it to a requesting replica only when, in this order:
 *   1. the nonce is live and unused (consumed first, whatever the outcome, like activation);
 *   2. the evidence verifies (authentic, not debuggable, accepted TCB status);
 *   3. its measurement is exactly this replica's own (the same coordinator code);
 *   4. its report data is the framed digest of the requester's X25519 key and the nonce.
 * The answer is the data key sealed to that X25519 key (replica_key_envelope.ts), so only code
 * with this measurement, inside a TEE, ever sees it: a new replica on an unattested host gets
 * nothing. Every hand-over is logged at info with the requester's measurement, never the key.
 *
 * With stateless nonces the single use is per serving replica (its local used-set), not across
 * replicas: a replayed request only yields another envelope sealed to the ORIGINAL requester's
 * key, which the replayer cannot open.
 */
export const REPLICA_KEY_LABEL = 'cloister/replica-key/v1';

/** report data of a requesting replica: framed SHA-512 over [X25519 SPKI DER, nonce]. */
export function replicaKeyReportData(x25519Spki: Uint8Array, nonce: Uint8Array): Uint8Array {
  return framedDigest(REPLICA_KEY_LABEL, [x25519Spki, nonce]);
}

export interface ReplicaKeyRequest {
  readonly nonce: Uint8Array;
  readonly evidence: WorkloadEvidence;
  /** the requester's X25519 public key: SPKI PEM or DER */
  readonly publicKey: string | Uint8Array;
}

export interface ReplicaKeyAnswer {
  /** the data key sealed to the requester (replica_key_envelope.ts) */
  readonly envelope: Uint8Array;
  /** key id of the handed-over key, lowercase hex (the requester recomputes and checks it) */
  readonly keyId: string;
}

export interface ReplicaKeyService {
  handOver(req: ReplicaKeyRequest): Promise<ReplicaKeyAnswer>;
}

export interface ReplicaKeyServiceOptions {
  readonly dataKey: Uint8Array;
  readonly verifier: WorkloadVerifier;
  /** this replica's own measurement (replicaMeasurementOf its own verified evidence) */
  readonly expectedMeasurement: ReplicaMeasurement;
  readonly nonces: NonceRegistry;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Pick<Logger, 'info' | 'warn'>;
  /** TCB statuses accepted for hardware evidence; default UpToDate, SWHardeningNeeded */
  readonly acceptedTcbStatuses?: readonly TcbStatus[];
}

export function createReplicaKeyService(o: ReplicaKeyServiceOptions): ReplicaKeyService {
  const keyId = toHex(dataKeyId(o.dataKey));
  const log = o.log;

  async function handOver(req: ReplicaKeyRequest): Promise<ReplicaKeyAnswer> {
    if (!o.nonces.consume(req.nonce)) {
      throw new CoordinatorError('NONCE_INVALID', 'the replica key nonce is unknown, expired or already used: request a fresh one (POST /api/v1/nonce)');
    }
    const requester = x25519PublicKey(req.publicKey);
    let verified;
    try {
      verified = await o.verifier.verify(req.evidence, o.clock.now());
    } catch (cause) {
      if (!(cause instanceof CloisterError)) throw cause;
      throw new CoordinatorError('REPLICA_EVIDENCE_INVALID', `replica evidence does not verify: ${cause.message}`, { cause, detail: { reason: cause.code } });
    }
    checkReplicaAcceptance(verified, o.acceptedTcbStatuses);
    const measurement = replicaMeasurementOf(verified);
    checkReplicaMeasurement(measurement, o.expectedMeasurement);
    const want = replicaKeyReportData(requester.spki, req.nonce);
    const got = fromHexStrict(verified.claims.reportData);
    if (got === undefined || !constantTimeEqual(got, want)) {
      throw new CoordinatorError('REPLICA_BINDING_MISMATCH', `replica evidence: report data got ${verified.claims.reportData}, want ${toHex(want)} (framed digest of its X25519 key and the nonce)`);
    }
    const envelope = sealReplicaKey({ dataKey: o.dataKey, recipientSpki: requester.spki, nonce: req.nonce, random: o.random });
    log.info({ tee: measurement.tee, measurement: measurement.measurement, keyId }, 'data key handed over to an attested replica');
    return { envelope, keyId };
  }

  return {
    async handOver(req) {
      try {
        return await handOver(req);
      } catch (e) {
        // refusals are a security signal: one line each, with the code and never the key
        if (e instanceof CloisterError) log.warn({ code: e.code, reason: e.message }, 'replica data-key request refused');
        throw e;
      }
    },
  };
}
