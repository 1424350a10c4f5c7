import type { EtcdStore } from './etcd_store.js';
import type { EtcdStoreOptions } from './etcd_options.js';

/**
 * Opens the etcd-backed store, loading the etcd client (grpc-js + its .proto files) only on
 * first use: processes that never talk to etcd (workloads, the single-executable launcher,
 * the CLI) neither pay for it nor need its files on disk.
 */
export async function openEtcdStore(o: EtcdStoreOptions): Promise<EtcdStore> {
  const m = await import('./etcd_store.js');
  return m.openEtcdStore(o);
}
