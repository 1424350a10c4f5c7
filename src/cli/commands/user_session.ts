import { randomBytes, type KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import type { Random } from '../../common/clock.js';
import {
  attestCoordinator,
  governanceClient,
  loadUserIdentity,
  loadUserKey,
  parseCoordinatorUrl,
  type AttestedCoordinator,
  type GovernanceClient,
  type UserAuth,
} from '../../runtime/index.js';
import { UsageError } from '../exit.js';
import { readInputFile } from '../io.js';

/**
 * What the governance commands (manifest propose/approve/status/history, audit, secret,
 * recover) share: attest the coordinator first (like the client commands in client.ts), then
 * talk to it over TLS pinned to the attested root, authenticated as a user by mTLS (a
 * certificate for --key, generated on the fly when there is no --cert) or by signed requests.
 */
export const COORDINATOR_ENV = 'CLOISTER_COORDINATOR';
export const USER_KEY_ENV = 'CLOISTER_USER_KEY';
export const USER_CERT_ENV = 'CLOISTER_USER_CERT';
export const USER_NAME_ENV = 'CLOISTER_USER';
export const TIMEOUT_MS = 15_000;

export type Run = (fn: () => Promise<number>) => Promise<void>;

export interface CoordinatorFlags {
  coordinator?: string;
  simulation?: boolean;
  simPlatformKey?: string[];
  json?: boolean;
}
export interface UserFlags extends CoordinatorFlags {
  key?: string;
  cert?: string;
  signedRequest?: boolean;
  user?: string;
}

export const systemRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/** The coordinator and attestation flags (the same as client.ts's client commands). */
export function withCoordinatorOptions(c: Command): Command {
  return c
    .option('--coordinator <url>', `coordinator URL (default: $${COORDINATOR_ENV})`)
    .option('--simulation', 'accept a coordinator with a SIMULATED TEE (development only: protects nothing)')
    .option('--sim-platform-key <pem...>', 'trusted simulated platform public key(s) (default: the local platform key)');
}

/** The coordinator flags plus how the user authenticates. */
export function withUserOptions(c: Command): Command {
  return withCoordinatorOptions(c)
    .option('--key <file>', `your user private key, PEM: ECDSA P-256/384/521, Ed25519 or RSA >= 2048 (default: $${USER_KEY_ENV})`)
    .option('--cert <file>', `your user certificate, PEM, when the manifest declares you by certificate (default: $${USER_CERT_ENV}; without it a 1-hour self-signed certificate for --key is made)`)
    .option('--signed-request', 'authenticate with a signed Cloister-Signature header instead of an mTLS client certificate (needs --user)')
    .option('--user <name>', `your user name in the manifest, for --signed-request (default: $${USER_NAME_ENV})`);
}

/** Attests the coordinator (fresh nonce, evidence, binding, TLS of the same connection). */
export async function attestFromFlags(f: CoordinatorFlags, expectedManifestHash?: string): Promise<AttestedCoordinator> {
  const url = f.coordinator ?? process.env[COORDINATOR_ENV];
  if (url === undefined || url === '') throw new UsageError('USAGE_ERROR', `--coordinator URL is required (or set ${COORDINATOR_ENV})`);
  try {
    parseCoordinatorUrl(url);
  } catch (e) {
    throw new UsageError('USAGE_ERROR', (e as Error).message, { cause: e });
  }
  if (f.simPlatformKey !== undefined && f.simulation !== true) throw new UsageError('USAGE_ERROR', '--sim-platform-key needs --simulation');
  const keys = f.simPlatformKey?.map((p) => Buffer.from(readInputFile(p, 'simulated platform key')).toString('utf8'));
  const att = await attestCoordinator(url, {
    simulation: f.simulation === true,
    ...(keys === undefined ? {} : { trustedPlatformKeys: keys }),
    ...(expectedManifestHash === undefined ? {} : { expectedManifestHash }),
    now: new Date(),
    random: systemRandom,
    timeoutMs: TIMEOUT_MS,
  });
  if (att.simulated) process.stderr.write(`WARNING: SIMULATED coordinator at ${att.url}: no hardware protection (accepted because of --simulation)\n`);
  return att;
}

/** The user's key (it signs approvals) and how the user authenticates to the coordinator. */
export interface UserCredentials {
  readonly auth: UserAuth;
  readonly privateKey: KeyObject;
}

/** Credentials from the flags and environment; usage errors come before any network traffic. */
export async function userFromFlags(f: UserFlags): Promise<UserCredentials> {
  const keyPath = f.key ?? nonEmpty(process.env[USER_KEY_ENV]);
  if (keyPath === undefined) throw new UsageError('USAGE_ERROR', `--key FILE (your user private key) is required (or set ${USER_KEY_ENV})`);
  const keyPem = Buffer.from(readInputFile(keyPath, 'user key')).toString('utf8');
  if (f.signedRequest === true) {
    const user = f.user ?? nonEmpty(process.env[USER_NAME_ENV]);
    if (user === undefined) throw new UsageError('USAGE_ERROR', `--signed-request needs --user NAME (or set ${USER_NAME_ENV})`);
    if (f.cert !== undefined) throw new UsageError('USAGE_ERROR', '--cert is for mTLS; a signed request carries no certificate (drop --cert or --signed-request)');
    const privateKey = loadUserKey(keyPem);
    return { auth: { kind: 'signed', user, privateKey }, privateKey };
  }
  if (f.user !== undefined) throw new UsageError('USAGE_ERROR', '--user is only used with --signed-request (with mTLS the coordinator knows you by your key)');
  const certPath = f.cert ?? nonEmpty(process.env[USER_CERT_ENV]);
  const certPem = certPath === undefined ? undefined : Buffer.from(readInputFile(certPath, 'user certificate')).toString('utf8');
  const id = await loadUserIdentity({ keyPem, ...(certPem === undefined ? {} : { certPem }), now: new Date(), random: systemRandom });
  return { auth: { kind: 'mtls', certPem: id.certPem, keyPem: id.keyPem }, privateKey: id.privateKey };
}

/** A client over the attested root with the given authentication. */
export function clientFor(att: AttestedCoordinator, auth: UserAuth): GovernanceClient {
  return governanceClient({ coordinatorUrl: att.url, rootCaPem: att.rootCaPem, auth, clock: { now: () => new Date() }, random: systemRandom, timeoutMs: TIMEOUT_MS });
}

/** A positive integer flag value. */
export function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError('USAGE_ERROR', `${flag} '${text}' is not a positive integer`);
  return Number(text);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
