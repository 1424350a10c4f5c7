import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { platformKeyFingerprint } from '../../verify/sim/index.js';
import { TeeError } from '../errors.js';

/**
 * The simulated platform: one ECDSA P-384 key per host state directory that signs simulated
 * evidence. The coordinator, workloads and `cloister verify --simulation` on one host find it
 * in the same per-user directory, so they need no configuration. It stands in for a CPU's
 * attestation key and protects nothing against the local user (docs/simulated-tee.md).
 */
export const PLATFORM_DIR_ENV = 'CLOISTER_SIM_PLATFORM_DIR';
export const PLATFORM_KEY_FILE = 'platform-key.pem';

export interface SimulatedPlatform {
  readonly dir: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo */
  readonly publicKeySpki: Uint8Array;
  /** SHA-256 of the SPKI, lowercase hex (the `platformKeyFingerprint` claim) */
  readonly fingerprint: string;
}

/** Where the platform lives: an explicit directory, else $CLOISTER_SIM_PLATFORM_DIR, else ~/.cloister/sim-platform. */
export function resolvePlatformDir(explicit?: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = env[PLATFORM_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(homedir(), '.cloister', 'sim-platform');
}

/**
 * Loads the platform key from `dir`, creating it first when there is none. Creation is atomic
 * and race-safe: the key is written to a unique temp file (mode 0600, O_EXCL), fsynced, and
 * hard-linked to its final name; link() fails with EEXIST when another process won the race,
 * and then that process's key is loaded. Readers never see a partial file.
 */
export async function loadOrCreatePlatform(dir?: string): Promise<SimulatedPlatform> {
  const d = resolvePlatformDir(dir);
  const keyPath = join(d, PLATFORM_KEY_FILE);
  try {
    await mkdir(d, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new TeeError('SIM_PLATFORM_DIR_UNUSABLE', `cannot create simulated platform directory '${d}': ${errno(cause)}`, { cause });
  }
  const existing = await readKeyFile(keyPath);
  if (existing !== undefined) return toPlatform(d, keyPath, existing);

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const tmp = join(d, `.${PLATFORM_KEY_FILE}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(pem);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, keyPath);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
    }
    await syncDir(d);
  } catch (cause) {
    throw new TeeError('SIM_PLATFORM_DIR_UNUSABLE', `cannot write simulated platform key in '${d}': ${errno(cause)}`, { cause });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const winner = await readKeyFile(keyPath);
  if (winner === undefined) throw new TeeError('SIM_PLATFORM_DIR_UNUSABLE', `simulated platform key '${keyPath}' vanished right after creation`);
  return toPlatform(d, keyPath, winner);
}

/** Loads an existing platform without creating one (SIM_PLATFORM_DIR_UNUSABLE when absent). */
export async function loadPlatform(dir?: string): Promise<SimulatedPlatform> {
  const d = resolvePlatformDir(dir);
  const keyPath = join(d, PLATFORM_KEY_FILE);
  const pem = await readKeyFile(keyPath);
  if (pem === undefined) throw new TeeError('SIM_PLATFORM_DIR_UNUSABLE', `no simulated platform key at '${keyPath}'`);
  return toPlatform(d, keyPath, pem);
}

/** The platform's public key as SPKI PEM (what a verifier passes as a trusted platform key). */
export function platformPublicKeyPem(p: SimulatedPlatform): string {
  return p.publicKey.export({ format: 'pem', type: 'spki' }) as string;
}

async function readKeyFile(keyPath: string): Promise<string | undefined> {
  try {
    // Mode first: a key others can read or replace is not a platform key (ssh refuses likewise).
    const st = await stat(keyPath);
    if ((st.mode & 0o077) !== 0) {
      throw new TeeError(
        'SIM_PLATFORM_KEY_INSECURE',
        `simulated platform key '${keyPath}' has mode 0${(st.mode & 0o777).toString(8)}, want 0600 (chmod 600 it)`,
      );
    }
    return await readFile(keyPath, 'utf8');
  } catch (cause) {
    if (cause instanceof TeeError) throw cause;
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TeeError('SIM_PLATFORM_DIR_UNUSABLE', `cannot read simulated platform key '${keyPath}': ${errno(cause)}`, { cause });
  }
}

function toPlatform(dir: string, keyPath: string, pem: string): SimulatedPlatform {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (cause) {
    throw new TeeError('SIM_PLATFORM_KEY_INVALID', `simulated platform key '${keyPath}' is not a PEM private key`, { cause });
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw new TeeError(
      'SIM_PLATFORM_KEY_INVALID',
      `simulated platform key '${keyPath}' is ${privateKey.asymmetricKeyType} ${privateKey.asymmetricKeyDetails?.namedCurve ?? ''}, want ec secp384r1`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeySpki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return { dir, privateKey, publicKey, publicKeySpki, fingerprint: platformKeyFingerprint(publicKeySpki) };
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}
