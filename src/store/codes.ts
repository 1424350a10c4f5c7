import type { CodeTable } from '../common/errors.js';

/** Stable codes of the state store (file/memory stores, sealing, data key). Never rename; add new codes at the end. */
export const STORE_CODES = {
  STORE_KEY_INVALID:
    "A store key is empty, too long, not '/'-separated non-empty segments of printable characters, or has a '.'/'..' segment.",
  STORE_COMMIT_INVALID: 'A commit names a key twice (in compare, put or delete) or carries a negative revision or an oversized value.',
  STORE_LOCKED: 'The state directory is locked by another live process (its LOCK file holds that process id).',
  STORE_CORRUPT: 'The state file on disk is truncated, has a bad magic/version or fails its SHA-256 checksum.',
  STORE_IO_FAILED: 'Reading, writing, syncing or renaming a file of the state directory failed.',
  STORE_CLOSED: 'The store was used after close().',
  STATE_TAMPERED: 'A sealed value is malformed or fails AES-256-GCM authentication under its key name (modified or swapped between keys).',
  STATE_UNSEALED_FAILED: 'A sealed value was written under another data key (key id mismatch): the data key is wrong.',
  DATA_KEY_INVALID: 'A data key or sealing key does not have the required 32 bytes.',
  SEALING_SECRET_INVALID: 'The simulated platform sealing secret file exists but does not hold exactly 32 bytes.',
  STORE_ETCD_CONFIG_INVALID: 'etcd store options are invalid: no or malformed endpoints, mixed http/https, a bad key prefix, incomplete TLS material or a bad timeout.',
  STORE_ETCD_UNAVAILABLE: 'No etcd member served the request before the timeout (unreachable, not ready, no leader): nothing was applied.',
  STORE_ETCD_TIMEOUT: 'etcd received a read but did not answer within the timeout (no quorum, overloaded or partitioned member).',
  STORE_ETCD_COMMIT_UNKNOWN: 'A commit reached etcd but its answer was lost (timeout, dropped connection, leader change): it may have been applied; re-read before retrying.',
  STORE_ETCD_REJECTED: 'etcd answered with an error (permission denied, request too large, too many operations, compacted revision, auth failure).',
  STORE_ETCD_WATCH_FAILED: 'An etcd watch ended with an error it cannot resume from (e.g. its start revision was compacted).',
  STORE_ETCD_LEADERSHIP_LOST: 'A leader election campaign failed or its lease expired or was revoked: this replica is no longer (or never became) leader.',
  STORE_URL_INVALID: "A --store URL is not 'file', etcd://HOST:PORT[,HOST:PORT...][/prefix/] or etcds://...: unknown scheme, malformed or repeated endpoint, bad prefix, credentials, query or fragment.",
  STORE_URL_TLS_MISMATCH: 'etcd TLS files do not fit the --store URL: given for a plain etcd:// URL or the file store, an etcds:// URL without the CA, or a client certificate without its key.',
} as const satisfies CodeTable;

export type StoreCode = keyof typeof STORE_CODES;
