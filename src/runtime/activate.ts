import type { X509Certificate } from 'node:crypto';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import type { EvidenceProvider } from '../tee/index.js';
import { activationReportData } from '../verify/index.js';
import { chainProblem, parseCertificate, spkiOf } from './cert_chain.js';
import { createInstanceKey } from './csr.js';
import { ClientError } from './errors.js';
import { endpoint, parseCoordinatorUrl, request } from './https.js';
import { activateResponseSchema, decodeBase64, nonceResponseSchema, parseResponse } from './responses.js';

export interface ActivateOptions {
  readonly coordinatorUrl: string;
  /** the coordinator root CA pinned by attestCoordinator (never an unverified one) */
  readonly rootCaPem: string;
  readonly workload: string;
  readonly instanceId?: string;
  readonly provider: EvidenceProvider;
  /** when given, the activation answer must be for this (attested) manifest hash */
  readonly manifestHash?: string;
  readonly now: Date;
  readonly timeoutMs?: number;
}

export interface Activation {
  readonly workload: string;
  readonly instanceId: string;
  /** PKCS#8 PEM of the instance's private key (made here, never sent) */
  readonly keyPem: string;
  readonly certificatePem: string;
  /** intermediate(s) then root, as the coordinator returned them */
  readonly chainPem: readonly string[];
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
  readonly expiresAt: Date;
  readonly manifestHash: string;
  readonly simulation: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Activates one workload instance (docs/api.md "Activation"): a single-use nonce, a fresh
 * ECDSA P-256 key + CSR, evidence whose report data is activationReportData(SPKI, nonce), then
 * POST /api/v1/activate over TLS pinned to the attested root. The answer is checked before it
 * is used: the certificate is for OUR key and chains to the pinned root at `now`.
 */
export async function activate(o: ActivateOptions): Promise<Activation> {
  const base = parseCoordinatorUrl(o.coordinatorUrl);
  const root = parseCertificate(o.rootCaPem);
  if (root === undefined) throw new ClientError('ACTIVATION_CHAIN_INVALID', 'the pinned coordinator root CA is not a PEM certificate');
  const tls = { ca: o.rootCaPem, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS };

  const n = parseResponse(nonceResponseSchema, (await request('POST', endpoint(base, '/api/v1/nonce'), {}, tls)).json, 'nonce');
  const nonce = Buffer.from(n.nonce, 'hex');
  const key = await createInstanceKey(o.workload);
  const evidence = await o.provider.getEvidence(activationReportData(key.spki, nonce));
  const body = {
    workload: o.workload,
    ...(o.instanceId === undefined ? {} : { instanceId: o.instanceId }),
    nonce: n.nonce,
    evidence: {
      tee: evidence.tee,
      data: Buffer.from(evidence.evidence).toString('base64'),
      // the provider's certificate material (SEV-SNP certificate table) travels as one entry
      ...(evidence.certs === undefined ? {} : { certs: [Buffer.from(evidence.certs).toString('base64')] }),
    },
    csr: key.csrPem,
  };
  const r = parseResponse(activateResponseSchema, (await request('POST', endpoint(base, '/api/v1/activate'), body, tls)).json, 'activation');

  if (r.workload !== o.workload || (o.instanceId !== undefined && r.instanceId !== o.instanceId)) {
    throw new ClientError(
      'ACTIVATION_RESPONSE_MISMATCH',
      `activation answered for ${r.workload}/${r.instanceId}, want ${o.workload}/${o.instanceId ?? '(any instance)'}`,
      { detail: { got: { workload: r.workload, instanceId: r.instanceId }, want: { workload: o.workload, instanceId: o.instanceId } } },
    );
  }
  if (o.manifestHash !== undefined && r.manifestHash !== o.manifestHash) {
    throw new ClientError('MANIFEST_HASH_MISMATCH', `activation answered under manifest ${r.manifestHash}, want the attested ${o.manifestHash}`, {
      detail: { got: r.manifestHash, want: o.manifestHash },
    });
  }
  const leaf = parseCertificate(r.certificate);
  if (leaf === undefined) throw new ClientError('COORDINATOR_RESPONSE_INVALID', 'activation: certificate is not a parseable PEM certificate');
  const leafSpki = spkiOf(leaf);
  if (!constantTimeEqual(leafSpki, key.spki)) {
    throw new ClientError(
      'ACTIVATION_KEY_MISMATCH',
      `activation returned a certificate for another key (got SPKI ${toHex(leafSpki)}, want ${toHex(key.spki)})`,
      { detail: { got: toHex(leafSpki), want: toHex(key.spki) } },
    );
  }
  const chain = r.chain.map((p) => parseCertificate(p)).filter((c): c is X509Certificate => c !== undefined);
  const problem = chainProblem(leaf, chain, root, o.now);
  if (problem !== undefined) {
    throw new ClientError('ACTIVATION_CHAIN_INVALID', `activation certificate does not chain to the pinned coordinator root CA: ${problem}`);
  }

  // docs/api.md: `{{ self.key }}` arrives as a random placeholder that only we can fill in.
  const fill = (text: string) => text.replaceAll(r.selfKeyPlaceholder, key.keyPem);
  return {
    workload: r.workload,
    instanceId: r.instanceId,
    keyPem: key.keyPem,
    certificatePem: r.certificate,
    chainPem: r.chain,
    files: new Map(Object.entries(r.files).map(([path, b64]) => [path, replaceBytes(decodeBase64(b64), r.selfKeyPlaceholder, key.keyPem)])),
    env: Object.fromEntries(Object.entries(r.env).map(([k, v]) => [k, fill(v)])),
    argv: r.argv.map(fill),
    expiresAt: new Date(r.expiresAt),
    manifestHash: r.manifestHash,
    simulation: r.simulation === true,
  };
}

export interface DeactivateOptions {
  readonly coordinatorUrl: string;
  readonly rootCaPem: string;
  readonly workload: string;
  readonly instanceId: string;
  /** the instance's own key and certificate: the coordinator identifies the instance by mTLS */
  readonly keyPem: string;
  readonly certificatePem: string;
  /** intermediates sent along with the certificate (a root in the list is harmless) */
  readonly chainPem?: readonly string[];
  readonly timeoutMs?: number;
}

/** Revokes the instance's certificate (POST /api/v1/deactivate, authenticated by the certificate itself). */
export async function deactivate(o: DeactivateOptions): Promise<unknown> {
  const base = parseCoordinatorUrl(o.coordinatorUrl);
  const clientCert = [o.certificatePem, ...(o.chainPem ?? [])].map((p) => p.trim()).join('\n') + '\n';
  const res = await request('POST', endpoint(base, '/api/v1/deactivate'), { workload: o.workload, instanceId: o.instanceId }, {
    ca: o.rootCaPem,
    clientCert,
    clientKey: o.keyPem,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  return res.json;
}

/** Replaces every occurrence of the ASCII `token` in `bytes` with `value` (UTF-8). */
function replaceBytes(bytes: Uint8Array, token: string, value: string): Uint8Array {
  const buf = Buffer.from(bytes);
  const t = Buffer.from(token, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = buf.indexOf(t, from); i !== -1; i = buf.indexOf(t, from)) {
    parts.push(buf.subarray(from, i), v);
    from = i + t.length;
  }
  if (from === 0) return bytes;
  parts.push(buf.subarray(from));
  return new Uint8Array(Buffer.concat(parts));
}
