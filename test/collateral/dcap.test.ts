import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bundleProvider } from '../../src/collateral/bundle_provider.js';
import { fetchDcapCollateral, pckFacts } from '../../src/collateral/dcap.js';
import { pcsProvider } from '../../src/collateral/pcs_provider.js';
import { parseDcapQuote } from '../../src/evidence/dcap/index.js';
import { assertRejectsCode } from '../support/assert_code.js';
import { SKIP_NO_VECTORS, readVector, readVectorText } from '../support/vectors.js';
import { recordingSleep, startFakeServer, type FakeServer } from './support/fake_server.js';
import { pcsVector } from './support/pcs_routes.js';

const servers: FakeServer[] = [];
after(async () => Promise.all(servers.map((s) => s.close())));

const CASES = [
  ['sgx/dcap-qvl-sample', 'collateral.json'],
  ['tdx/dcap-qvl-sample-v4', 'collateral.json'],
  ['tdx/go-tdx-guest-spr-v4', 'collateral.normalized.json'],
] as const;

for (const [id, file] of CASES) {
  test(`${id}: FMSPC and PCK CA come from the quote's PCK leaf`, { skip: SKIP_NO_VECTORS }, () => {
    const c = JSON.parse(readVectorText(id, 'case.json')) as { decoded: { pck: { fmspc: string; issuer_cn: string } } };
    const facts = pckFacts(parseDcapQuote(readVector(id, 'quote.bin'), { allowTrailingData: true }));
    assert.equal(facts.fmspc, c.decoded.pck.fmspc.toLowerCase());
    assert.equal(facts.ca, /Processor/.test(c.decoded.pck.issuer_cn) ? 'processor' : 'platform');
  });

  test(`${id}: fetchDcapCollateral from the offline bundle returns that bundle`, { skip: SKIP_NO_VECTORS }, async () => {
    const bundle = await fetchDcapCollateral(readVector(id, 'quote.bin'), bundleProvider(readVectorText(id, file)));
    assert.deepEqual(bundle, JSON.parse(readVectorText(id, file)));
  });
}

test('fetchDcapCollateral against a local PCS equals the vector bundle; a PCS without the FMSPC is NOT_FOUND', { skip: SKIP_NO_VECTORS }, async () => {
  const v = pcsVector('sgx/dcap-qvl-sample');
  const s = await startFakeServer(v.routes);
  servers.push(s);
  const p = pcsProvider({ timeoutMs: 5000, ...recordingSleep(), baseUrl: s.url, rootCaCrlUrl: `${s.url}/IntelSGXRootCA.der` });
  assert.deepEqual(await fetchDcapCollateral(readVector('sgx/dcap-qvl-sample', 'quote.bin'), p), v.bundle);
  await assertRejectsCode(() => fetchDcapCollateral(readVector('tdx/go-tdx-guest-spr-v4', 'quote.bin'), p), 'COLLATERAL_NOT_FOUND');
});
