import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CoordinatorError } from '../codes.js';

/** Validates a request part against its schema; REQUEST_INVALID listing every issue otherwise. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  throw new CoordinatorError('REQUEST_INVALID', `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { detail: { issues } });
}

/** DER of the TLS client certificate of the request's connection, if one was presented. */
export function peerDer(req: FastifyRequest): Uint8Array | undefined {
  const raw = (req.socket as TLSSocket).getPeerCertificate?.()?.raw;
  return raw === undefined ? undefined : new Uint8Array(raw);
}
