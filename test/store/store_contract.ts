import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { text, utf8 } from './fixtures.js';

/**
 * The etcd-shaped Store contract as one suite, run against every implementation
 * (store_semantics.test.ts: memory and file; etcd_store.test.ts: etcd). Each test gets a fresh,
 * empty store from `make`; revisions are asserted relative to the store's first commit.
 */
export type StoreFactory = (t: { after(fn: () => Promise<void>): void }) => Promise<Store>;

export function describeStoreContract(name: string, make: StoreFactory, o: { skip?: string | false } = {}): void {
  describe(`${name} store`, { skip: o.skip ?? false }, () => {
    test('empty store: get undefined, list empty', async (t) => {
      const s = await make(t);
      assert.equal(await s.get('a/b'), undefined);
      assert.deepEqual(await s.list(''), []);
      await s.close();
    });

    test('commit puts and deletes atomically and raises one revision per commit', async (t) => {
      const s = await make(t);
      // Revisions are relative to the first commit: an etcd cluster does not start at 0.
      const r1 = await s.commit({ compare: [{ key: 'a', revision: 0n }], put: [{ key: 'a', value: utf8('1') }, { key: 'b/x', value: utf8('2') }], delete: [] });
      assert.ok(r1.ok);
      const rev1 = r1.revision;
      assert.ok(rev1 >= 1n);
      assert.deepEqual(await s.get('a'), { value: utf8('1'), revision: rev1 });
      const r2 = await s.commit({ compare: [{ key: 'a', revision: rev1 }], put: [{ key: 'b/y', value: utf8('3') }], delete: ['a'] });
      assert.deepEqual(r2, { ok: true, revision: rev1 + 1n });
      assert.equal(await s.get('a'), undefined);
      assert.deepEqual(
        (await s.list('b/')).map((e) => [e.key, text(e.value), e.revision]),
        [['b/x', '2', rev1], ['b/y', '3', rev1 + 1n]],
      );
      await s.close();
    });

    test('a failed compare writes nothing and names the conflicting key', async (t) => {
      const s = await make(t);
      const w = await s.commit({ compare: [], put: [{ key: 'k', value: utf8('v1') }], delete: [] });
      assert.ok(w.ok);
      const r = await s.commit({ compare: [{ key: 'other', revision: 0n }, { key: 'k', revision: 0n }], put: [{ key: 'new', value: utf8('x') }], delete: ['k'] });
      assert.deepEqual(r, { ok: false, conflictKey: 'k' });
      assert.equal(await s.get('new'), undefined);
      assert.equal(text((await s.get('k'))?.value), 'v1');
      const stale = await s.commit({ compare: [{ key: 'k', revision: w.revision + 7n }], put: [], delete: [] });
      assert.deepEqual(stale, { ok: false, conflictKey: 'k' });
      await s.close();
    });

    test('compare-only commit keeps the revision', async (t) => {
      const s = await make(t);
      const w = await s.commit({ compare: [], put: [{ key: 'k', value: utf8('v') }], delete: [] });
      assert.ok(w.ok);
      assert.deepEqual(await s.commit({ compare: [{ key: 'k', revision: w.revision }], put: [], delete: [] }), { ok: true, revision: w.revision });
      await s.close();
    });

    test('stored values are copies of the caller buffers', async (t) => {
      const s = await make(t);
      const v = utf8('abc');
      await s.commit({ compare: [], put: [{ key: 'k', value: v }], delete: [] });
      v[0] = 0x7a;
      const got = await s.get('k');
      assert.equal(text(got?.value), 'abc');
      got!.value[0] = 0x7a;
      assert.equal(text((await s.get('k'))?.value), 'abc');
      await s.close();
    });

    test('invalid keys and commits are rejected with codes', async (t) => {
      const s = await make(t);
      for (const key of ['', '/a', 'a/', 'a//b', 'a/../b', '.', 'a\nb', 'x'.repeat(1025)]) {
        await assertRejectsCode(() => s.get(key), 'STORE_KEY_INVALID', JSON.stringify(key));
        await assertRejectsCode(() => s.commit({ compare: [], put: [{ key, value: utf8('v') }], delete: [] }), 'STORE_KEY_INVALID', JSON.stringify(key));
      }
      await assertRejectsCode(() => s.commit({ compare: [], put: [{ key: 'a', value: utf8('1') }], delete: ['a'] }), 'STORE_COMMIT_INVALID');
      await assertRejectsCode(() => s.commit({ compare: [], put: [{ key: 'a', value: utf8('1') }, { key: 'a', value: utf8('2') }], delete: [] }), 'STORE_COMMIT_INVALID');
      await assertRejectsCode(() => s.commit({ compare: [{ key: 'a', revision: 0n }, { key: 'a', revision: 1n }], put: [], delete: [] }), 'STORE_COMMIT_INVALID');
      await assertRejectsCode(() => s.commit({ compare: [{ key: 'a', revision: -1n }], put: [], delete: [] }), 'STORE_COMMIT_INVALID');
      assert.equal(await s.get('a'), undefined);
      await s.close();
    });

    test('concurrent compare-and-swap: exactly one of two racing writers wins', async (t) => {
      const s = await make(t);
      const [a, b] = await Promise.all([
        s.commit({ compare: [{ key: 'leader', revision: 0n }], put: [{ key: 'leader', value: utf8('a') }], delete: [] }),
        s.commit({ compare: [{ key: 'leader', revision: 0n }], put: [{ key: 'leader', value: utf8('b') }], delete: [] }),
      ]);
      assert.deepEqual([a.ok, b.ok].sort(), [false, true]);
      await s.close();
    });

    test('use after close is rejected', async (t) => {
      const s = await make(t);
      await s.close();
      await assertRejectsCode(() => s.get('a'), 'STORE_CLOSED');
      await assertRejectsCode(() => s.commit({ compare: [], put: [], delete: [] }), 'STORE_CLOSED');
    });
  });
}
