import { generateKeyPairSync } from 'node:crypto';
import { createCa, issueLeaf } from '../../ca/index.js';
import { NAMES } from '../names.js';

/**
 * TLS material for the webhook Service, generated (never hand-copied): a throw-away CA
 * (src/ca: root + intermediate), a leaf for the Service's DNS names, and the CA bundle the
 * MutatingWebhookConfiguration carries. The CA private keys are dropped after issuing, so
 * nothing can mint another certificate the API server would trust for this webhook;
 * rotating means re-running `cloister k8s install` (new CA, new bundle, new Secret together).
 */
export interface WebhookTls {
  /** leaf + intermediate, PEM (what the server sends) */
  readonly certChainPem: string;
  readonly keyPem: string;
  /** root CA certificate, PEM: the caBundle */
  readonly caPem: string;
  readonly notAfter: Date;
}

export const WEBHOOK_TLS_LIFETIME_MS = 365 * 24 * 3_600_000;

/** The names the API server may use for the Service (it dials `<service>.<namespace>.svc`). */
export function webhookDnsNames(namespace: string): string[] {
  const s = NAMES.webhook;
  return [`${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`, `${s}.${namespace}`, s];
}

export async function generateWebhookTls(o: { namespace: string; now: Date; lifetimeMs?: number }): Promise<WebhookTls> {
  const lifetimeMs = o.lifetimeMs ?? WEBHOOK_TLS_LIFETIME_MS;
  const ca = await createCa({ now: o.now, name: 'Cloister webhook', rootLifetimeMs: lifetimeMs, intermediateLifetimeMs: lifetimeMs });
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = await issueLeaf(ca, {
    publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    subjectCn: `${NAMES.webhook}.${o.namespace}.svc`,
    sans: { dns: webhookDnsNames(o.namespace) },
    lifetimeMs,
    now: o.now,
    serverAuth: true,
    clientAuth: false,
  });
  return {
    certChainPem: leaf.chainPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    caPem: ca.root.certPem,
    notAfter: leaf.notAfter,
  };
}
