import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { completeRecovery, createRecoveryService } from '../../src/coordinator/recovery.js';
import { readRecoveryShares, recoveryInfoKey, recoveryKeysPrefix, recoveryShareOps } from '../../src/coordinator/recovery_shares.js';
import { KEY } from '../../src/coordinator/state.js';
import { decryptShare, encodeShare, recoveryKeyFingerprint } from '../../src/recovery/index.js';
import { createMemoryStore, createSealedStore } from '../../src/store/index.js';
import { assertRejectsCode } from '../support/assert_code.js';

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const quiet = pino({ level: 'silent' });
const pem = (k: { export(o: { type: 'spki'; format: 'pem' }): string | Buffer }) => k.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const x = generateKeyPairSync('x25519');
const x2 = generateKeyPairSync('x25519');
const config = { threshold: 2, keys: { k2: pem(x.publicKey), k1: pem(rsa.publicKey), k3: pem(x2.publicKey) } };
const priv = { k1: rsa.privateKey, k2: x.privateKey, k3: x2.privateKey } as const;

async function storeWithShares(dataKey: Uint8Array) {
  const store = createMemoryStore();
  await store.commit({ compare: [], put: recoveryShareOps(config, dataKey, random), delete: [] });
  return store;
}

describe('recovery shares in the store', () => {
  test('round trip with RSA and X25519 holders: info, one envelope per key, any 2 shares give the data key back', async () => {
    const dataKey = new Uint8Array(randomBytes(32));
    const store = await storeWithShares(dataKey);
    assert.deepEqual((await store.list('')).map((e) => e.key), [recoveryInfoKey, `${recoveryKeysPrefix}k1`, `${recoveryKeysPrefix}k2`, `${recoveryKeysPrefix}k3`]);
    const r = (await readRecoveryShares(store))!;
    assert.equal(r.info.threshold, 2);
    assert.equal(r.info.total, 3);
    assert.deepEqual(Object.keys(r.keys).sort(), ['k1', 'k2', 'k3']);
    const shares = (['k1', 'k2', 'k3'] as const).map((name, i) => {
      assert.equal(r.keys[name]!.fingerprint, recoveryKeyFingerprint(config.keys[name]));
      const s = decryptShare(priv[name], r.keys[name]!.envelope);
      assert.equal(s.index, i + 1, 'indices follow sorted key names');
      assert.equal(s.setId, r.info.setId);
      return s;
    });
    const { RecoverySession } = await import('../../src/recovery/index.js');
    for (const [a, b] of [[0, 1], [1, 2], [2, 0]] as const) {
      const session = new RecoverySession(r.info);
      assert.equal(session.submit(shares[a]!).status, 'collecting');
      const done = session.submit(shares[b]!);
      assert.equal(done.status, 'complete');
      assert.deepEqual(done.status === 'complete' ? done.secret : undefined, dataKey);
    }
    // a holder cannot open another holder's envelope
    assert.throws(() => decryptShare(priv.k2, r.keys.k3!.envelope), (e: unknown) => (e as { code?: string }).code === 'RECOVERY_KEY_MISMATCH');
  });

  test('the records are plaintext under a sealed store (public/ prefix) and readable without the data key', async () => {
    const inner = createMemoryStore();
    const sealed = createSealedStore(inner, { dataKey: new Uint8Array(32).fill(7), random });
    await sealed.commit({ compare: [], put: recoveryShareOps(config, new Uint8Array(32).fill(9), random), delete: [] });
    const viaInner = await readRecoveryShares(inner);
    const viaSealed = await readRecoveryShares(sealed);
    assert.deepEqual(viaInner, viaSealed);
  });

  test('not configured -> undefined; malformed records -> RECOVERY_STATE_INVALID; bad parameters -> RECOVERY_PARAMS_INVALID', async () => {
    assert.equal(await readRecoveryShares(createMemoryStore()), undefined);
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    const store = await storeWithShares(new Uint8Array(32).fill(1));
    const good = (await store.get(`${recoveryKeysPrefix}k1`))!.value;
    for (const bad of ['not json', { fingerprint: 'AB', envelope: 'AAAA' }, { fingerprint: 'ab'.repeat(32), envelope: '***' }, null]) {
      await store.commit({ compare: [], put: [{ key: `${recoveryKeysPrefix}k1`, value: enc(bad) }], delete: [] });
      await assertRejectsCode(() => readRecoveryShares(store), 'RECOVERY_STATE_INVALID', JSON.stringify(bad));
    }
    await store.commit({ compare: [], put: [{ key: `${recoveryKeysPrefix}k1`, value: good }, { key: recoveryInfoKey, value: enc({ setId: 'x' }) }], delete: [] });
    await assertRejectsCode(() => readRecoveryShares(store), 'RECOVERY_STATE_INVALID');
    assert.throws(() => recoveryShareOps({ threshold: 4, keys: config.keys }, new Uint8Array(32), random), (e: unknown) => (e as { code?: string }).code === 'RECOVERY_PARAMS_INVALID');
    assert.throws(() => recoveryShareOps({ threshold: 1, keys: { weak: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey) } }, new Uint8Array(32), random), (e: unknown) => (e as { code?: string }).code === 'RECOVERY_KEY_UNSUPPORTED');
  });
});

describe('recovery service', () => {
  async function sharesOf(store: Awaited<ReturnType<typeof storeWithShares>>) {
    const r = (await readRecoveryShares(store))!;
    return { k1: encodeShare(decryptShare(priv.k1, r.keys.k1!.envelope)), k2: encodeShare(decryptShare(priv.k2, r.keys.k2!.envelope)) };
  }

  test('collects to the threshold and unlocks once with the data key; not in recovery -> RECOVERY_NOT_POSSIBLE', async () => {
    const dataKey = new Uint8Array(randomBytes(32));
    const store = await storeWithShares(dataKey);
    let state = 'recovery';
    const unlocked: Array<[Uint8Array, number]> = [];
    const svc = createRecoveryService({ store, state: () => state, log: quiet, unlock: async (k, d) => { unlocked.push([k, d.sharesUsed]); state = 'accepting-workloads'; } });
    const s = await sharesOf(store);
    assert.deepEqual(await svc.submit(s.k1), { status: 'collecting', have: 1, need: 2 });
    assert.equal((await svc.info()).have, 1);
    await assertRejectsCode(() => svc.submit(s.k1), 'RECOVERY_SHARE_DUPLICATE');
    assert.deepEqual(await svc.submit(s.k2), { status: 'complete', state: 'accepting-workloads' });
    assert.deepEqual(unlocked, [[dataKey, 2]], 'the key handed over stays intact (the coordinator keeps it)');
    await assertRejectsCode(() => svc.submit(s.k1), 'RECOVERY_NOT_POSSIBLE');
    const info = await svc.info();
    assert.equal(info.state, 'accepting-workloads');
    assert.equal(info.have, 0);
  });

  test('a key that does not open the sealed state is RECOVERY_STATE_MISMATCH and the session restarts; nothing configured -> codes', async () => {
    // the share set splits key B, but the sealed state was written under key A (forged or stale info)
    const inner = await storeWithShares(new Uint8Array(32).fill(0xbb));
    await createSealedStore(inner, { dataKey: new Uint8Array(32).fill(0xaa), random }).commit({ compare: [], put: [{ key: KEY.ca, value: new TextEncoder().encode('{}') }], delete: [] });
    let recovered = false;
    const unlock = (k: Uint8Array) =>
      completeRecovery({ store: inner, stateDir: 'unused-state-dir', sealing: { kind: 'test', sealingKey: async () => new Uint8Array(32) }, random, clock: { now: () => new Date() }, log: quiet, onRecovered: async () => { recovered = true; } }, k, { sharesUsed: 2 });
    const svc = createRecoveryService({ store: inner, state: () => 'recovery', log: quiet, unlock });
    const s = await sharesOf(inner);
    await svc.submit(s.k1);
    await assertRejectsCode(() => svc.submit(s.k2), 'RECOVERY_STATE_MISMATCH');
    assert.equal(recovered, false);
    assert.equal((await svc.info()).have, 0, 'session restarted');
    assert.deepEqual(await svc.submit(s.k2), { status: 'collecting', have: 1, need: 2 });

    const empty = createRecoveryService({ store: createMemoryStore(), state: () => 'recovery', log: quiet, unlock });
    await assertRejectsCode(() => empty.info(), 'RECOVERY_NOT_CONFIGURED');
    await assertRejectsCode(() => empty.submit(s.k1), 'RECOVERY_NOT_POSSIBLE');
  });

  test('a state without a sealed CA is RECOVERY_STATE_MISMATCH (nothing to check the key against)', async () => {
    const dataKey = new Uint8Array(32).fill(3);
    await assertRejectsCode(
      () => completeRecovery({ store: createMemoryStore(), stateDir: 'unused-state-dir', sealing: { kind: 'test', sealingKey: async () => new Uint8Array(32) }, random, clock: { now: () => new Date() }, log: quiet, onRecovered: async () => undefined }, dataKey, { sharesUsed: 1 }),
      'RECOVERY_STATE_MISMATCH',
    );
  });
});
