import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundleProvider, parseBundle, serializeBundle } from '../../src/collateral/bundle_provider.js';
import { assembleBundle } from '../../src/collateral/gather.js';
import type { CollateralBundle } from '../../src/collateral/types.js';
import { assertRejectsCode, assertThrowsCode } from '../support/assert_code.js';
import { SKIP_NO_VECTORS, readVectorText } from '../support/vectors.js';

const load = (id: string, file: string): CollateralBundle => JSON.parse(readVectorText(id, file)) as CollateralBundle;

test('serves every item of a vector bundle and reassembles the same bundle', { skip: SKIP_NO_VECTORS }, async () => {
  for (const [id, file, tee, fmspc, ca] of [
    ['sgx/dcap-qvl-sample', 'collateral.json', 'sgx', '00A067110000', 'processor'],
    ['tdx/go-tdx-guest-spr-v4', 'collateral.normalized.json', 'tdx', '50806f000000', 'platform'],
  ] as const) {
    const b = load(id, file);
    const p = bundleProvider(readVectorText(id, file));
    const tcbInfo = await p.get({ kind: 'tcbInfo', tee, fmspc });
    assert.equal(tcbInfo.source, 'bundle');
    assert.ok(tcbInfo.validUntil instanceof Date);
    const items = { tcbInfo, qeIdentity: await p.get({ kind: 'qeIdentity', tee }), pckCrl: await p.get({ kind: 'pckCrl', ca }), rootCaCrl: await p.get({ kind: 'rootCaCrl' }) };
    assert.deepEqual(assembleBundle(items), b, id);
    assert.deepEqual(parseBundle(serializeBundle(b)), b);
  }
});

test('answers only for the platform the bundle is for', { skip: SKIP_NO_VECTORS }, async () => {
  const p = bundleProvider(load('tdx/go-tdx-guest-spr-v4', 'collateral.normalized.json'));
  await assertRejectsCode(() => p.get({ kind: 'tcbInfo', tee: 'tdx', fmspc: '00a067110000' }), 'COLLATERAL_NOT_IN_BUNDLE');
  await assertRejectsCode(() => p.get({ kind: 'tcbInfo', tee: 'sgx', fmspc: '50806f000000' }), 'COLLATERAL_NOT_IN_BUNDLE');
  await assertRejectsCode(() => p.get({ kind: 'qeIdentity', tee: 'sgx' }), 'COLLATERAL_NOT_IN_BUNDLE');
  await assertRejectsCode(() => p.get({ kind: 'pckCrl', ca: 'processor' }), 'COLLATERAL_NOT_IN_BUNDLE');
  await assertRejectsCode(() => p.get({ kind: 'amdCrl', product: 'Milan' }), 'COLLATERAL_NOT_IN_BUNDLE');
});

test('missing CRLs (null or absent) are COLLATERAL_NOT_IN_BUNDLE when asked for', { skip: SKIP_NO_VECTORS }, async () => {
  const b = load('tdx/go-tdx-guest-spr-v4', 'collateral.normalized.json');
  const { root_ca_crl: _drop, ...rest } = b;
  const p = bundleProvider({ ...rest, pck_crl: null } as unknown as CollateralBundle);
  await assertRejectsCode(() => p.get({ kind: 'rootCaCrl' }), 'COLLATERAL_NOT_IN_BUNDLE');
  await assertRejectsCode(() => p.get({ kind: 'pckCrl', ca: 'platform' }), 'COLLATERAL_NOT_IN_BUNDLE');
});

test('malformed bundles are COLLATERAL_BUNDLE_MALFORMED', { skip: SKIP_NO_VECTORS }, async () => {
  const b = load('sgx/dcap-qvl-sample', 'collateral.json');
  assertThrowsCode(() => bundleProvider('{not json'), 'COLLATERAL_BUNDLE_MALFORMED');
  assertThrowsCode(() => bundleProvider({ ...b, tcb_info_signature: 'xyz' }), 'COLLATERAL_BUNDLE_MALFORMED');
  assertThrowsCode(() => bundleProvider({ ...b, tcb_info: undefined } as unknown as CollateralBundle), 'COLLATERAL_BUNDLE_MALFORMED');
  await assertRejectsCode(() => bundleProvider({ ...b, root_ca_crl: 'zz' }).get({ kind: 'rootCaCrl' }), 'COLLATERAL_BUNDLE_MALFORMED');
  await assertRejectsCode(() => bundleProvider({ ...b, tcb_info: '{"fmspc":"00A067110000"}' }).get({ kind: 'tcbInfo', tee: 'sgx', fmspc: '00A067110000' }), 'COLLATERAL_BUNDLE_MALFORMED');
});
