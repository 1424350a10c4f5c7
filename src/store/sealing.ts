import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { concatBytes } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { createFileExclusive, ioError } from './atomic_file.js';
import { StoreError } from './errors.js';

/**
 * How the state data key is kept across restarts: sealed (AES-256-GCM) under a key that only
 * this platform can derive. Real TEEs plug in here (SGX EGETKEY with the MRENCLAVE or MRSIGNER
 * policy, an SNP `MSG_KEY_REQ` derived key, a TPM/vTPM-bound key); none is reachable on this
 * machine, so the one implementation is the honest simulation below.
 */
export interface SealingKeyProvider {
  /** Names the provider in sealed blobs and reasons, e.g. 'simulated'. At most 255 bytes. */
  readonly kind: string;
  /** The 32-byte sealing key; rejects when the platform cannot produce it. */
  sealingKey(): Promise<Uint8Array>;
}

/** HKDF label of the simulated sealing key (versioned, as every derivation label in Cloister). */
export const SIMULATED_SEALING_LABEL = 'cloister/sealing/v1';
/** The per-host secret of the simulated platform, inside its platform directory. */
export const SEALING_SECRET_FILE = 'sealing-secret';

/**
 * The simulated platform's sealing key: HKDF-SHA256 over a 32-byte per-host secret file in
 * `platformDir` (created once, mode 0600, never replaced). Anyone who can read that file can
 * unseal, which is exactly the protection a simulation gives; say so wherever it is used.
 * The secret is created with node's CSPRNG unless `random` is passed (documented exception to
 * "randomness is an input": wiring code should not have to care on first start).
 */
export function simulatedSealingKey(platformDir: string, o: { random?: Random } = {}): SealingKeyProvider {
  const random = o.random ?? { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
  return {
    kind: 'simulated',
    async sealingKey() {
      const path = `${platformDir}/${SEALING_SECRET_FILE}`;
      try {
        await mkdir(platformDir, { recursive: true, mode: 0o700 });
      } catch (e) {
        throw ioError('creating platform directory', platformDir, e);
      }
      // Create-only: a concurrent first start on the same host keeps whichever secret won.
      await createFileExclusive(platformDir, SEALING_SECRET_FILE, random.bytes(32));
      let secret: Uint8Array;
      try {
        secret = await readFile(path);
      } catch (e) {
        throw ioError('reading sealing secret', path, e);
      }
      if (secret.byteLength !== 32) throw new StoreError('SEALING_SECRET_INVALID', `sealing secret ${path}: got ${secret.byteLength} bytes, want 32`);
      return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), SIMULATED_SEALING_LABEL, 32));
    },
  };
}

/**
 * Sealed data key: version 0x01 | kindLen (1 B) | kind (UTF-8) | nonce (12 B) | ciphertext (32 B) | tag (16 B).
 * AAD: "cloister/sealed-data-key/v1" 0x00 | version | kindLen | kind. The provider kind is in
 * clear so a refusal can say which provider sealed it.
 */
const VERSION = 0x01;
const AAD_LABEL = new TextEncoder().encode('cloister/sealed-data-key/v1\u0000');

function header(kind: string): Uint8Array {
  const k = new TextEncoder().encode(kind);
  if (k.byteLength === 0 || k.byteLength > 255) throw new StoreError('DATA_KEY_INVALID', `sealing provider kind: got ${k.byteLength} bytes, want 1..255`);
  return concatBytes(new Uint8Array([VERSION, k.byteLength]), k);
}

async function providerKey(provider: SealingKeyProvider): Promise<Buffer> {
  const key = await provider.sealingKey();
  if (key.byteLength !== 32) throw new StoreError('DATA_KEY_INVALID', `sealing key of provider '${provider.kind}': got ${key.byteLength} bytes, want 32`);
  return Buffer.from(key);
}

export async function sealDataKey(provider: SealingKeyProvider, dataKey: Uint8Array, random: Random): Promise<Uint8Array> {
  if (dataKey.byteLength !== 32) throw new StoreError('DATA_KEY_INVALID', `state data key: got ${dataKey.byteLength} bytes, want 32`);
  const head = header(provider.kind);
  const nonce = random.bytes(12);
  const cipher = createCipheriv('aes-256-gcm', await providerKey(provider), nonce);
  cipher.setAAD(concatBytes(AAD_LABEL, head));
  const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return concatBytes(head, nonce, body, cipher.getAuthTag());
}

/** Why a sealed data key could not be opened: the coordinator then enters `recovery`. */
export type SealedUnavailableWhy = 'malformed' | 'other-provider' | 'provider-failed' | 'wrong-sealing-key';

export type UnsealResult =
  | { readonly state: 'unsealed'; readonly dataKey: Uint8Array }
  | { readonly state: 'sealed-unavailable'; readonly why: SealedUnavailableWhy; readonly reason: string };

/** Opens a sealed data key. Never throws: every failure is a `sealed-unavailable` result. */
export async function unsealDataKey(provider: SealingKeyProvider, sealed: Uint8Array): Promise<UnsealResult> {
  const unavailable = (why: SealedUnavailableWhy, reason: string): UnsealResult => ({ state: 'sealed-unavailable', why, reason });
  if (sealed.byteLength < 2 || sealed[0] !== VERSION) return unavailable('malformed', `sealed data key: version got ${sealed[0] ?? 'none'}, want ${VERSION}`);
  const kindLen = sealed[1]!;
  const want = 2 + kindLen + 12 + 32 + 16;
  if (sealed.byteLength !== want) return unavailable('malformed', `sealed data key: got ${sealed.byteLength} bytes, want ${want}`);
  const kind = new TextDecoder().decode(sealed.subarray(2, 2 + kindLen));
  if (kind !== provider.kind) return unavailable('other-provider', `sealed data key was sealed by provider '${kind}', this platform offers '${provider.kind}'`);
  let key: Buffer;
  try {
    key = await providerKey(provider);
  } catch (e) {
    return unavailable('provider-failed', `sealing provider '${provider.kind}' could not produce its key: ${e instanceof Error ? e.message : String(e)}`);
  }
  const at = 2 + kindLen;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(at, at + 12));
  decipher.setAAD(concatBytes(AAD_LABEL, sealed.subarray(0, at)));
  decipher.setAuthTag(sealed.subarray(at + 44));
  try {
    return { state: 'unsealed', dataKey: new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(at + 12, at + 44)), decipher.final()])) };
  } catch {
    return unavailable('wrong-sealing-key', `sealed data key does not open under provider '${provider.kind}' (another host or platform secret, or the blob was altered)`);
  }
}
