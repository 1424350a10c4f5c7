import { X509Certificate, randomBytes, type KeyObject } from 'node:crypto';
import { pino } from 'pino';
import { createCoordinator, type Coordinator } from '../../../src/coordinator/index.js';
import { createMetrics } from '../../../src/coordinator/metrics.js';
import type { RequestCredentials } from '../../../src/coordinator/principal.js';
import { createWorkloadVerifier } from '../../../src/coordinator/workload_verifier.js';
import { selfSignedUserCertificate } from '../../../src/runtime/user_identity.js';
import type { Store } from '../../../src/store/index.js';
import { loadOrCreatePlatform, simulatedProvider } from '../../../src/tee/index.js';

/** A coordinator without HTTP, on the given store, with a simulated platform in `platformDir`. */
export const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };

export async function startInProcess(store: Store, platformDir: string): Promise<Coordinator> {
  const platform = await loadOrCreatePlatform(platformDir);
  return createCoordinator({
    store,
    clock: { now: () => new Date() },
    random,
    verifier: createWorkloadVerifier({ simulation: true, trustedPlatformKeys: [platform.publicKey] }),
    evidence: simulatedProvider({ platform, measurement: 'cd'.repeat(48) }),
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    simulation: true,
    version: 'test',
  });
}

/** What a user's mTLS request carries: a fresh self-signed certificate over their key. */
export async function userCredentials(key: KeyObject): Promise<RequestCredentials> {
  return {
    peerDer: new Uint8Array(new X509Certificate(await selfSignedUserCertificate(key, { now: new Date(), random })).raw),
    signatureHeader: undefined,
    method: 'POST',
    path: '/',
    body: new Uint8Array(0),
  };
}
