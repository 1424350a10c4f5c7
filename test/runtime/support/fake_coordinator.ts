import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata polyfill loaded first
import { X509Certificate, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { loadOrCreatePlatform, platformPublicKeyPem, simulatedProvider, type EvidenceProvider } from '../../../src/tee/index.js';
import { activationReportData, coordinatorReportData } from '../../../src/verify/binding.js';
import { GENESIS_HEAD, auditHeadBytes } from '../../../src/audit/index.js';
import { verifySimulatedEvidence } from '../../../src/verify/sim/index.js';

/**
 * A fake coordinator for client tests: real HTTPS on 127.0.0.1 with its own root CA, an
 * intermediate and a TLS leaf, simulated evidence from a platform in a temp dir, and knobs a
 * test turns to make one answer wrong at a time. It follows docs/api.md, not the real server.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOT_BEFORE = new Date(Date.now() - 3600_000);
const NOT_AFTER = new Date(Date.now() + 30 * 24 * 3600_000);
export const MEASUREMENT = 'ab'.repeat(48);

export interface TestCa {
  readonly name: string;
  readonly keys: CryptoKeyPair;
  readonly pem: string;
  readonly cert: X509Certificate;
}

let serial = 1;
async function certificate(o: { subject: string; issuer?: TestCa; publicKey: CryptoKey; signingKey: CryptoKey; ca: boolean; ip?: string; notAfter?: Date }): Promise<x509.X509Certificate> {
  const exts: x509.Extension[] = [new x509.BasicConstraintsExtension(o.ca, o.ca ? 1 : undefined, true)];
  if (o.ca) exts.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  if (o.ip !== undefined) exts.push(new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: o.ip }]));
  return x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: o.subject,
    issuer: o.issuer?.name ?? o.subject,
    notBefore: NOT_BEFORE,
    notAfter: o.notAfter ?? NOT_AFTER,
    publicKey: o.publicKey,
    signingKey: o.signingKey,
    signingAlgorithm: ALG,
    extensions: exts,
  });
}

const keyPair = async (): Promise<CryptoKeyPair> => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
const toCa = (name: string, keys: CryptoKeyPair, c: x509.X509Certificate): TestCa => ({ name, keys, pem: c.toString('pem') + '\n', cert: new X509Certificate(Buffer.from(c.rawData)) });
async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

export async function makeRoot(cn: string): Promise<TestCa> {
  const keys = await keyPair();
  const name = `CN=${cn}`;
  return toCa(name, keys, await certificate({ subject: name, publicKey: keys.publicKey, signingKey: keys.privateKey, ca: true }));
}
export async function makeIntermediate(root: TestCa, cn: string): Promise<TestCa> {
  const keys = await keyPair();
  const name = `CN=${cn}`;
  return toCa(name, keys, await certificate({ subject: name, issuer: root, publicKey: keys.publicKey, signingKey: root.keys.privateKey, ca: true }));
}
/** A TLS server identity for 127.0.0.1 issued by `ca`. */
export async function tlsIdentity(ca: TestCa, o: { notAfter?: Date } = {}): Promise<{ certPem: string; keyPem: string }> {
  const keys = await keyPair();
  const c = await certificate({ subject: 'CN=coordinator', issuer: ca, publicKey: keys.publicKey, signingKey: ca.keys.privateKey, ca: false, ip: '127.0.0.1', ...o });
  return { certPem: c.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}
/** A leaf for a public key (SPKI DER) issued by `ca`. */
export async function leafFor(ca: TestCa, spki: Uint8Array, cn: string): Promise<string> {
  const publicKey = await webcrypto.subtle.importKey('spki', spki, ALG, true, ['verify']);
  return (await certificate({ subject: `CN=${cn}`, issuer: ca, publicKey, signingKey: ca.keys.privateKey, ca: false })).toString('pem') + '\n';
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
/** A temp directory removed when the test process exits. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `cloister-${prefix}-`));
  tempDirs.push(d);
  return d;
}

type Json = Record<string, unknown>;
export type Handler = (req: IncomingMessage, body: Json | undefined) => Promise<{ status: number; json: unknown; type?: string }>;

export interface FakeCoordinator {
  readonly url: string;
  readonly root: TestCa;
  readonly intermediate: TestCa;
  readonly platformDir: string;
  readonly platformKeyPem: string;
  readonly provider: EvidenceProvider;
  manifestText: string | null;
  manifestHash: string | null;
  /** per-route overrides ('GET /api/v1/status'); the defaults follow docs/api.md */
  readonly routes: Map<string, Handler>;
  /** the client certificates (DER) presented per path */
  readonly clientCerts: Map<string, Buffer | undefined>;
  /** default answer of GET /api/v1/attestation for a nonce, with optional lies */
  attestationFor(nonce: Uint8Array, lie?: { root?: TestCa; bindRoot?: TestCa; bindNonce?: Uint8Array; bindManifestHash?: string | null; provider?: EvidenceProvider }): Promise<Json>;
  /** answer `route` with its default handler's successful JSON passed through `edit` */
  rewrite(route: string, edit: (json: Json) => Promise<Json>): void;
  /** serve TLS with a leaf from another CA from now on */
  useTlsFrom(ca: TestCa, o?: { notAfter?: Date }): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeCoordinator(o: { manifestHash?: string | null } = {}): Promise<FakeCoordinator> {
  const root = await makeRoot('Fake Coordinator Root');
  const intermediate = await makeIntermediate(root, 'Fake Coordinator Intermediate');
  const platformDir = tempDir('platform');
  const platform = await loadOrCreatePlatform(platformDir);
  const provider = simulatedProvider({ platform, measurement: MEASUREMENT });
  const tls = await tlsIdentity(root);
  const issued = new Map<string, Uint8Array>(); // nonce hex -> issued
  const spki = (c: TestCa) => new Uint8Array(c.cert.publicKey.export({ type: 'spki', format: 'der' }));

  const fake: FakeCoordinator = {
    url: '',
    root,
    intermediate,
    platformDir,
    platformKeyPem: platformPublicKeyPem(platform),
    provider,
    manifestText: null,
    manifestHash: o.manifestHash === undefined ? 'cd'.repeat(32) : o.manifestHash,
    routes: new Map(),
    clientCerts: new Map(),
    async attestationFor(nonce, lie = {}) {
      const mh = lie.bindManifestHash === undefined ? fake.manifestHash : lie.bindManifestHash;
      const rd = coordinatorReportData(spki(lie.bindRoot ?? root), mh === null ? new Uint8Array(0) : Buffer.from(mh, 'hex'), auditHeadBytes(GENESIS_HEAD), lie.bindNonce ?? nonce);
      const ev = await (lie.provider ?? provider).getEvidence(rd);
      return { tee: ev.tee, evidence: Buffer.from(ev.evidence).toString('base64'), rootCa: (lie.root ?? root).pem, intermediateCa: intermediate.pem, manifestHash: fake.manifestHash, auditHead: { ...GENESIS_HEAD }, simulation: true };
    },
    rewrite(route, edit) {
      fake.routes.set(route, async (req, body) => {
        const r = await defaults[route]!(req, body);
        return r.status === 200 ? { status: 200, json: await edit(r.json as Json) } : r;
      });
    },
    async useTlsFrom(ca, t = {}) {
      const id = await tlsIdentity(ca, t);
      server.setSecureContext({ key: id.keyPem, cert: id.certPem });
    },
    close: () => new Promise((r) => server.close(() => r())),
  };

  const defaults: Record<string, Handler> = {
    'GET /api/v1/attestation': async (req) => {
      const nonce = new URL(req.url!, 'https://x').searchParams.get('nonce') ?? '';
      return { status: 200, json: await fake.attestationFor(Buffer.from(nonce, 'hex')) };
    },
    'GET /api/v1/status': async () => ({
      status: 200,
      json: { state: fake.manifestHash === null ? 'uninitialized' : 'accepting-workloads', manifestHash: fake.manifestHash, simulation: true, version: '0.1.0', rootCaFingerprint: root.cert.fingerprint256.replace(/:/g, '').toLowerCase() },
    }),
    'GET /api/v1/manifest': async () =>
      fake.manifestText === null ? problem(409, 'COORDINATOR_UNINITIALIZED') : { status: 200, json: { manifest: fake.manifestText, manifestHash: fake.manifestHash } },
    'POST /api/v1/nonce': async () => {
      const nonce = randomBytes(32);
      issued.set(nonce.toString('hex'), nonce);
      return { status: 200, json: { nonce: nonce.toString('hex'), expiresAt: new Date(Date.now() + 60_000).toISOString() } };
    },
    'POST /api/v1/activate': async (_req, b) => {
      // The checks of docs/api.md that concern the client's side of the contract.
      const body = b as { workload: string; instanceId?: string; nonce: string; evidence: { tee: string; data: string }; csr: string };
      if (!issued.delete(body.nonce)) return problem(403, 'NONCE_INVALID');
      const csr = new x509.Pkcs10CertificateRequest(body.csr);
      if (!(await csr.verify())) return problem(400, 'CA_CSR_INVALID');
      const csrSpki = new Uint8Array(csr.publicKey.rawData);
      const claims = verifySimulatedEvidence(Buffer.from(body.evidence.data, 'base64'), { trustedPlatformKeys: [fake.platformKeyPem] }).claims;
      const want = Buffer.from(activationReportData(csrSpki, Buffer.from(body.nonce, 'hex'))).toString('hex');
      if (claims.reportData !== want) return problem(403, 'REPORT_DATA_MISMATCH');
      const placeholder = `cloister-self-key-${'5a'.repeat(16)}`;
      const leaf = await leafFor(intermediate, csrSpki, body.workload);
      return {
        status: 200,
        json: {
          workload: body.workload,
          instanceId: body.instanceId ?? `${body.workload}-0`,
          certificate: leaf,
          chain: [intermediate.pem, root.pem],
          expiresAt: NOT_AFTER.toISOString(),
          files: { '/etc/app/key.pem': Buffer.from(`key:${placeholder}:end`).toString('base64'), '/etc/app/blob': Buffer.from([0, 255, 1]).toString('base64') },
          env: { KEY: placeholder, PLAIN: 'x' },
          argv: ['--key', placeholder],
          selfKeyPlaceholder: placeholder,
          manifestHash: fake.manifestHash,
          simulation: true,
        },
      };
    },
    'POST /api/v1/deactivate': async () => ({ status: 200, json: { ok: true } }),
    'POST /api/v1/manifest': async (_req, b) => {
      if (fake.manifestHash !== null && fake.manifestText !== null) return problem(409, 'MANIFEST_ALREADY_SET');
      fake.manifestText = String(b?.manifest);
      fake.manifestHash = (await fakeManifestHash(fake.manifestText));
      return { status: 200, json: { manifestHash: fake.manifestHash } };
    },
  };

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url!, 'https://x').pathname;
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    fake.clientCerts.set(path, peer?.raw);
    const key = `${req.method} ${path}`;
    const h = fake.routes.get(key) ?? defaults[key];
    let r: { status: number; json: unknown; type?: string };
    try {
      r = h === undefined ? problem(404, 'NOT_FOUND') : await h(req, chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json));
    } catch (e) {
      r = problem(500, 'INTERNAL_ERROR', String(e));
    }
    const text = typeof r.json === 'string' ? r.json : JSON.stringify(r.json);
    res.writeHead(r.status, { 'content-type': r.type ?? (r.status >= 400 ? 'application/problem+json' : 'application/json'), 'cloister-simulation': 'true' });
    res.end(text);
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (fake as { url: string }).url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

export function problem(status: number, code: string, detail = `fake coordinator refused: ${code}`): { status: number; json: unknown } {
  return { status, json: { type: `https://cloister.dev/errors#${code}`, title: code, status, code, detail, simulation: true } };
}

async function fakeManifestHash(text: string): Promise<string> {
  const { manifestHash, parseManifest } = await import('../../../src/manifest/index.js');
  return manifestHash(parseManifest(text));
}

/** A PEM SPKI public key of a platform in a fresh directory (a platform nobody trusts). */
export async function otherPlatform(): Promise<{ provider: EvidenceProvider; publicKeyPem: string }> {
  const platform = await loadOrCreatePlatform(tempDir('other-platform'));
  return { provider: simulatedProvider({ platform, measurement: MEASUREMENT }), publicKeyPem: createPublicKey(platform.privateKey).export({ type: 'spki', format: 'pem' }) as string };
}
