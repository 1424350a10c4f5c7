import { StoreError } from './errors.js';
import { applyCommit, checkCommit, checkKey, listSpace, type CommitResult, type KeySpace, type Store } from './store.js';

/**
 * A Store in memory, for tests and for wrapping (the sealed store over it shows exactly what
 * would reach disk). Same semantics as the file store, minus durability.
 */
export function createMemoryStore(): Store & { readonly revision: bigint } {
  let space: KeySpace = { revision: 0n, entries: new Map() };
  let closed = false;
  const open = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', 'memory store used after close()');
  };
  return {
    get revision() {
      return space.revision;
    },
    async get(key) {
      open();
      checkKey(key);
      const e = space.entries.get(key);
      return e === undefined ? undefined : { value: new Uint8Array(e.value), revision: e.revision };
    },
    async list(prefix) {
      open();
      return listSpace(space, prefix);
    },
    async commit(ops, o) {
      open();
      checkCommit(ops);
      const r = applyCommit(space, ops);
      const res: CommitResult = 'conflictKey' in r ? { ok: false, conflictKey: r.conflictKey } : { ok: true, revision: 'next' in r ? r.next.revision : space.revision };
      if ('next' in r) space = r.next;
      o?.onDecided?.(res);
      return res;
    },
    async close() {
      closed = true;
    },
  };
}
