import { X509Certificate } from 'node:crypto';
import { createCa, type Ca } from '../../src/ca/index.js';
import { seededRandom } from '../store/fixtures.js';

export const NOW = new Date('2025-06-01T12:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function makeCa(o: { keyType?: 'ecdsa-p256' | 'ecdsa-p384'; rootDays?: number; interDays?: number; name?: string } = {}): Promise<Ca> {
  return createCa({
    now: NOW,
    random: seededRandom(`ca/${o.name ?? 'test'}`),
    rootLifetimeMs: (o.rootDays ?? 365) * DAY,
    intermediateLifetimeMs: (o.interDays ?? 30) * DAY,
    name: o.name ?? 'Test',
    ...(o.keyType === undefined ? {} : { keyType: o.keyType }),
  });
}

export const nodeCert = (pem: string): X509Certificate => new X509Certificate(pem);

/** Every certificate of a PEM bundle, in order. */
export function pemCerts(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}

/** node:crypto's own chain check: leaf issued by and signed by inter, inter by root, root by itself. */
export function chainVerifies(leaf: X509Certificate, inter: X509Certificate, root: X509Certificate): boolean {
  return (
    leaf.checkIssued(inter) &&
    leaf.verify(inter.publicKey) &&
    inter.checkIssued(root) &&
    inter.verify(root.publicKey) &&
    root.checkIssued(root) &&
    root.verify(root.publicKey)
  );
}
