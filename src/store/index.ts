/** Public API of the state store layer (the only path other layers import). */
export type { CommitOps, CommitOptions, CommitResult, Store, StoreEntry } from './store.js';
export { MAX_KEY_BYTES, MAX_VALUE_BYTES, checkKey } from './store.js';
export { STORE_CODES, type StoreCode } from './codes.js';
export { StoreError } from './errors.js';
export { createMemoryStore } from './memory_store.js';
export { openFileStore, STATE_FILE_NAME } from './file_store.js';
export { createSealedStore, dataKeyId, PUBLIC_PREFIX, SEALED_FORMAT_VERSION, type SealedStoreOptions } from './sealed_store.js';
export {
  sealDataKey,
  unsealDataKey,
  simulatedSealingKey,
  SIMULATED_SEALING_LABEL,
  SEALING_SECRET_FILE,
  type SealingKeyProvider,
  type SealedUnavailableWhy,
  type UnsealResult,
} from './sealing.js';
export { openDataKey, resealDataKey, SEALED_DATA_KEY_FILE, type DataKeyResult } from './data_key_file.js';
export type { EtcdStore } from './etcd_store.js';
export { openEtcdStore } from './etcd_lazy.js';
export { DEFAULT_ETCD_PREFIX, type EtcdStoreOptions } from './etcd_options.js';
export type { StoreChange, StoreWatch, WatchOptions } from './etcd_watch.js';
export type { LeaderElection, Leadership } from './etcd_election.js';
export { parseStoreUrl, DEFAULT_ETCD_TIMEOUT_MS, type EtcdTlsFiles, type StoreSelection } from './store_url.js';
// durable file writes with STORE_IO_FAILED errors, for other state files beside the store's
export { ioError as storeIoError, writeFileAtomic } from './atomic_file.js';
