import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constantTimeEqual, toHex } from '../common/bytes.js';
import type { Random } from '../common/clock.js';
import { dataKeyId, sealDataKey, storeIoError, unsealDataKey, writeFileAtomic, type SealingKeyProvider } from '../store/index.js';

/**
 * A replica's local sealed copy of the SHARED state's data key, in its state directory as
 * `replica-data-key-<keyId hex>`. Not `sealed-data-key` (openDataKey): that one is created with a
 * fresh key on first start and never replaced, which is right for a single coordinator's own
 * state but wrong for a replica that must hold the key the shared store was sealed under.
 *
 * Naming the file by key id means a copy is never lost: a state reset (new key id) writes a new
 * file and the old one stays. Replacing a file of the same name is safe: it can only ever hold
 * that same key (checked by id before every write and after every read), resealed, e.g. after the
 * host's sealing key changed.
 */
export const REPLICA_KEY_FILE_PREFIX = 'replica-data-key-';

export type LocalReplicaKey =
  | { readonly state: 'absent' }
  | { readonly state: 'unsealed'; readonly dataKey: Uint8Array }
  | { readonly state: 'unusable'; readonly reason: string };

const fileName = (keyIdHex: string): string => `${REPLICA_KEY_FILE_PREFIX}${keyIdHex}`;


/** Reads and opens the local copy for `keyIdHex`. Unseal failures are results; I/O failures throw STORE_IO_FAILED. */
export async function readReplicaKey(o: { dir: string; provider: SealingKeyProvider; keyIdHex: string }): Promise<LocalReplicaKey> {
  const path = join(o.dir, fileName(o.keyIdHex));
  let sealed: Uint8Array;
  try {
    sealed = new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw storeIoError('reading replica data key', path, e);
  }
  const r = await unsealDataKey(o.provider, sealed);
  if (r.state !== 'unsealed') return { state: 'unusable', reason: r.reason };
  const id = dataKeyId(r.dataKey);
  if (!constantTimeEqual(id, Buffer.from(o.keyIdHex, 'hex'))) {
    return { state: 'unusable', reason: `local replica data key has key id ${toHex(id)}, want ${o.keyIdHex}` };
  }
  return { state: 'unsealed', dataKey: r.dataKey };
}

/** Seals `dataKey` with the platform's provider into `replica-data-key-<its id>` (atomic and durable, mode 0600). */
export async function saveReplicaKey(o: { dir: string; provider: SealingKeyProvider; random: Random; dataKey: Uint8Array }): Promise<void> {
  const sealed = await sealDataKey(o.provider, o.dataKey, o.random);
  try {
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw storeIoError('creating state directory', o.dir, e);
  }
  await writeFileAtomic(o.dir, fileName(toHex(dataKeyId(o.dataKey))), sealed);
}
