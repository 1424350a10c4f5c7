import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { children, readNode } from '../src/common/der.js';
import { pemBlocks } from '../src/common/pem.js';
import { parseSimulatedEvidence, simulatedSignedMessage } from '../src/verify/sim/index.js';
import { time, type Timing } from './stats.js';

/**
 * The floor of one activation on the server: the signature operations it cannot avoid, timed
 * with raw node:crypto on real inputs, keys imported beforehand (KeyObjects):
 *   1. simulated evidence: ECDSA P-384 / SHA-384 verify under the trusted platform key;
 *   2. CSR: its self-signature (ECDSA P-256 / SHA-256, what the runtime's instance keys are);
 *   3. the leaf certificate: ECDSA P-256 / SHA-256 sign by the intermediate (the CA default).
 * Everything else (TLS, HTTP, JSON, DER, sealing, the fsync'd commit) is overhead over this.
 * As a rate: 1e6 / (sum of µs) activations per second on one core.
 */
export interface ActivationFloor {
  readonly evidenceVerify: Timing;
  readonly csrVerify: Timing;
  readonly certSign: Timing;
  readonly totalUs: number;
  readonly perSecond: number;
}

export function measureActivationFloor(o: { evidence: Uint8Array; csrPem: string; quick: boolean }): ActivationFloor {
  const opts = o.quick ? { warmupMs: 50, roundMs: 60, rounds: 3 } : { warmupMs: 200, roundMs: 200, rounds: 7 };

  const ev = parseSimulatedEvidence(o.evidence);
  const platformKey = createPublicKey({ key: Buffer.from(ev.platformKey), format: 'der', type: 'spki' });
  const evMsg = simulatedSignedMessage(ev.signedBody);
  const evKey = { key: platformKey, dsaEncoding: 'ieee-p1363' as const };
  if (!verify('sha384', evMsg, evKey, ev.signature)) throw new Error('floor: simulated evidence does not verify');

  // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
  const csrDer = pemBlocks(o.csrPem)[0]!.der;
  const [info, , sigNode] = children(csrDer, readNode(csrDer, 0));
  const csrInfo = csrDer.subarray(info!.start, info!.end);
  const csrSig = csrDer.subarray(sigNode!.contentStart + 1, sigNode!.end);
  const spkiNode = children(csrDer, info!)[2]!;
  const csrKey = createPublicKey({ key: Buffer.from(csrDer.subarray(spkiNode.start, spkiNode.end)), format: 'der', type: 'spki' });
  if (!verify('sha256', csrInfo, csrKey, csrSig)) throw new Error('floor: CSR self-signature does not verify');

  // A leaf TBSCertificate is ~450-550 bytes; the digest of that many bytes is part of signing.
  const { privateKey: intermediate } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = new Uint8Array(520).fill(0x5a);

  const evidenceVerify = time(() => verify('sha384', evMsg, evKey, ev.signature), opts);
  const csrVerify = time(() => verify('sha256', csrInfo, csrKey, csrSig), opts);
  const certSign = time(() => sign('sha256', tbs, intermediate), opts);
  const totalUs = evidenceVerify.us + csrVerify.us + certSign.us;
  return { evidenceVerify, csrVerify, certSign, totalUs, perSecond: 1e6 / totalUs };
}
