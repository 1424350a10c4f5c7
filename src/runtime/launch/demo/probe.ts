import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';
import { createCa, issueLeaf } from '../../../ca/index.js';

/**
 * What the demo's own checks use: one HTTPS request that verifies the server against the
 * coordinator's root (so a refusal can only come from the server), optionally presenting a
 * client certificate, and an impostor certificate from a CA the workloads do not trust.
 */
export interface ProbeResult {
  /** the HTTP status when the server answered */
  readonly status?: number;
  /** the TLS or transport error code when it did not */
  readonly error?: string;
}

export function probeHttps(url: string, o: { readonly ca: string; readonly cert?: string; readonly key?: string; readonly timeoutMs: number }): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const req = request(url, { ca: o.ca, agent: false, ...(o.cert === undefined ? {} : { cert: o.cert, key: o.key }) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.setTimeout(o.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

/** TLS errors that mean the CLIENT rejected the server: a probe failing this way proves nothing about the server. */
export const CLIENT_SIDE_TLS_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ECONNREFUSED', 'ETIMEDOUT',
]);

/** A certificate for `client` with the right workload URI, but from a CA of our own making. */
export async function impostorCertificate(now: Date): Promise<{ certPem: string; keyPem: string }> {
  const ca = await createCa({ name: 'Impostor', now, rootLifetimeMs: 3600_000, intermediateLifetimeMs: 3600_000 });
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = await issueLeaf(ca, {
    publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    subjectCn: 'client',
    sans: { dns: [], ip: [], uri: ['cloister://workload/client/client-impostor'] },
    lifetimeMs: 3600_000,
    now,
  });
  return { certPem: leaf.chainPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
