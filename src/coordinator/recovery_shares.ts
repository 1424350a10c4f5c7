import type { Random } from '../common/clock.js';
import { decodeShareSetInfo, encodeShareSetInfo, encryptShare, recoveryKeyFingerprint, splitSecret, type ShareSetInfo } from '../recovery/index.js';
import { PUBLIC_PREFIX, type CommitOps, type Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';

/**
 * The data key split among the manifest's recovery-key holders, as kept in the store:
 *
 *   public/recovery/info          ShareSetInfo JSON (encodeShareSetInfo)
 *   public/recovery/keys/<name>   { fingerprint: hex, envelope: base64 }  the share encrypted to <name>
 *
 * Both live under the sealed store's public prefix, i.e. in plaintext: a coordinator that cannot
 * open its data key reads them from the raw store to check submitted shares, and holders fetch
 * their envelope from GET /api/v1/recovery at any time. Nothing there is secret (each share is
 * encrypted to its holder) and nothing there is trusted: the recovered key must still open the
 * sealed state (docs/governance.md "Recovery").
 */
export const RECOVERY_PREFIX = `${PUBLIC_PREFIX}recovery/`;
export const recoveryInfoKey = `${RECOVERY_PREFIX}info`;
export const recoveryKeysPrefix = `${RECOVERY_PREFIX}keys/`;

/** The manifest's `recovery` section (governanceShape). */
export interface RecoveryConfig {
  readonly threshold: number;
  /** key name -> PEM public key (RSA >= 2048 bits or X25519) */
  readonly keys: Readonly<Record<string, string>>;
}

export interface RecoveryEnvelope {
  /** SHA-256 of the holder's public key SPKI DER, lowercase hex */
  readonly fingerprint: string;
  readonly envelope: Uint8Array;
}

export interface RecoveryShares {
  readonly info: ShareSetInfo;
  /** key name -> that holder's encrypted share */
  readonly keys: Readonly<Record<string, RecoveryEnvelope>>;
}

/**
 * Splits `dataKey` into one share per recovery key (threshold k of n, under a fresh set id) and
 * returns the puts that store them. Share indices follow the key names in sorted order, so the
 * assignment does not depend on object key order. The caller merges the puts into the commit
 * that sets or applies the manifest and deletes `recoveryKeysPrefix` entries of removed keys.
 */
export function recoveryShareOps(recovery: RecoveryConfig, dataKey: Uint8Array, random: Random): CommitOps['put'] {
  const names = Object.keys(recovery.keys).sort();
  const { info, shares } = splitSecret(dataKey, names.length, recovery.threshold, random);
  const puts: Array<CommitOps['put'][number]> = [{ key: recoveryInfoKey, value: encodeShareSetInfo(info) }];
  names.forEach((name, i) => {
    const pem = recovery.keys[name]!;
    const record = { fingerprint: recoveryKeyFingerprint(pem), envelope: Buffer.from(encryptShare(pem, shares[i]!, random)).toString('base64') };
    puts.push({ key: `${recoveryKeysPrefix}${name}`, value: new TextEncoder().encode(JSON.stringify(record)) });
  });
  for (const s of shares) s.value.fill(0);
  return puts;
}

/**
 * Reads the stored share set: undefined when recovery is not configured (no info). Works on the
 * raw store as well as on a sealed one (the keys are public). A malformed record is
 * RECOVERY_STATE_INVALID: a coordinator must not guess around damaged recovery data.
 */
export async function readRecoveryShares(store: Pick<Store, 'get' | 'list'>): Promise<RecoveryShares | undefined> {
  const infoEntry = await store.get(recoveryInfoKey);
  if (infoEntry === undefined) return undefined;
  let info: ShareSetInfo;
  try {
    info = decodeShareSetInfo(infoEntry.value);
  } catch (cause) {
    throw new CoordinatorError('RECOVERY_STATE_INVALID', `${recoveryInfoKey}: not a share-set description`, { cause });
  }
  const keys: Record<string, RecoveryEnvelope> = {};
  for (const e of await store.list(recoveryKeysPrefix)) {
    keys[e.key.slice(recoveryKeysPrefix.length)] = parseEnvelopeRecord(e.key, e.value);
  }
  return { info, keys };
}

function parseEnvelopeRecord(key: string, bytes: Uint8Array): RecoveryEnvelope {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new CoordinatorError('RECOVERY_STATE_INVALID', `${key}: not UTF-8 JSON`, { cause });
  }
  const r = v as { fingerprint?: unknown; envelope?: unknown };
  if (typeof r !== 'object' || r === null || typeof r.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(r.fingerprint)) {
    throw new CoordinatorError('RECOVERY_STATE_INVALID', `${key}: fingerprint: want 64 lowercase hex digits`);
  }
  if (typeof r.envelope !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(r.envelope)) {
    throw new CoordinatorError('RECOVERY_STATE_INVALID', `${key}: envelope: want base64`);
  }
  return { fingerprint: r.fingerprint, envelope: new Uint8Array(Buffer.from(r.envelope, 'base64')) };
}
