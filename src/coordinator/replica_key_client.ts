import { z } from 'zod';
import { endpoint, parseCoordinatorUrl, request } from '../runtime/index.js';
import { CoordinatorError } from './codes.js';
import { REPLICA_DATA_KEY_PATH, replicaDataKeyAnswer, type ReplicaDataKeyBody } from './http/replica_routes.js';

/**
 * How a starting replica talks to a peer: get a nonce, then ask for the data key. An interface
 * so tests (and other transports) can plug in; `httpsReplicaKeyClient` is the real one.
 */
export interface ReplicaKeyClient {
  nonce(peerUrl: string): Promise<Uint8Array>;
  dataKey(peerUrl: string, body: ReplicaDataKeyBody): Promise<{ envelope: Uint8Array; keyId: string }>;
}

const nonceAnswer = z.object({ nonce: z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex') });

function parseAnswer<T extends z.ZodType>(schema: T, json: unknown, where: string): z.output<T> {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  throw new CoordinatorError('REPLICA_ENVELOPE_INVALID', `${where}: unexpected answer (${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`);
}

/**
 * JSON over HTTPS (src/runtime/https.ts). Without `ca` the peer's TLS certificate is NOT
 * checked, on purpose: a starting replica cannot read the coordinator CA (it lives in the sealed
 * state it is trying to open), and it does not need to: the answer is sealed to its own X25519
 * key, which only its attested code holds, and the key it decrypts is accepted only when its id
 * equals the store's `public/state-key-id`. A man in the middle learns nothing and can only make
 * the exchange fail, as it could by dropping packets. With `ca` (e.g. the deployment's TLS CA)
 * the chain must verify to it.
 */
export function httpsReplicaKeyClient(o: { timeoutMs: number; ca?: string }): ReplicaKeyClient {
  const opts = { timeoutMs: o.timeoutMs, maxResponseBytes: 64 * 1024, ...(o.ca === undefined ? {} : { ca: o.ca }) };
  return {
    async nonce(peerUrl) {
      const url = endpoint(parseCoordinatorUrl(peerUrl), '/api/v1/nonce');
      const r = await request('POST', url, {}, opts);
      return new Uint8Array(Buffer.from(parseAnswer(nonceAnswer, r.json, `POST ${url.href}`).nonce, 'hex'));
    },
    async dataKey(peerUrl, body) {
      const url = endpoint(parseCoordinatorUrl(peerUrl), REPLICA_DATA_KEY_PATH);
      const r = await request('POST', url, body, opts);
      const a = parseAnswer(replicaDataKeyAnswer, r.json, `POST ${url.href}`);
      return { envelope: new Uint8Array(Buffer.from(a.envelope, 'base64')), keyId: a.keyId };
    },
  };
}
