import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutatePod, webhookConfigFactory } from '../../src/k8s/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { manifestHash, parseManifest } from '../../src/manifest/index.js';
import { COORDINATOR, KATA_POLICY, LAUNCHER_IMAGE, pod } from './support/fixtures.js';

const manifest = parseManifest(
  JSON.stringify({
    packages: { enclave: { sgx: { mrenclave: ['11'.repeat(32)] } } },
    workloads: { web: { package: 'enclave', epcSize: '256Mi' }, plain: { package: 'enclave' } },
  }),
);
const cfg = webhookConfigFactory({ coordinator: COORDINATOR, launcherImage: LAUNCHER_IMAGE, kataPolicy: KATA_POLICY })({
  manifest,
  manifestHash: manifestHash(manifest),
});

test("EPC comes from the pod annotation, else the manifest's epcSize, else the webhook default", () => {
  assert.equal(mutatePod(pod({ workload: 'web' }), cfg).epcBytes, 256n * 1024n * 1024n);
  assert.equal(mutatePod(pod({ workload: 'web', annotations: { 'cloister.dev/epc': '1Gi' } }), cfg).epcBytes, 1024n ** 3n);
  assert.equal(mutatePod(pod({ workload: 'plain' }), cfg).epcBytes, cfg.sgx.defaultEpcBytes);
});

test('manifests reject malformed epcSize values', () => {
  for (const bad of ['0', '12 Mi', '-1Gi', '1.5Gi', 'lots']) {
    assert.throws(() => parseManifest(JSON.stringify({ packages: { p: { simulated: { measurements: ['00'.repeat(48)] } } }, workloads: { w: { package: 'p', epcSize: bad } } })), { code: 'MANIFEST_INVALID' });
  }
});

test('epcSize of a non-SGX workload is ignored; an out-of-range manifest value is reported as the manifest\'s', () => {
  const m = parseManifest(
    JSON.stringify({
      packages: { enclave: { sgx: { mrenclave: ['11'.repeat(32)] } }, vm: { snp: { measurements: ['22'.repeat(48)] } } },
      workloads: { huge: { package: 'enclave', epcSize: '9999999999999999Ti' }, db: { package: 'vm', epcSize: '1Gi' } },
    }),
  );
  const c = webhookConfigFactory({ coordinator: COORDINATOR, launcherImage: LAUNCHER_IMAGE, kataPolicy: KATA_POLICY })({ manifest: m, manifestHash: manifestHash(m) });
  const vm = mutatePod(pod({ workload: 'db' }), c);
  assert.equal(vm.epcBytes, undefined);
  assert.equal((vm.pod.spec.containers[0]!.resources as unknown), undefined, 'no EPC resources on a VM pod');
  const e = assertThrowsCode(() => mutatePod(pod({ workload: 'huge' }), c), 'K8S_QUANTITY_INVALID');
  assert.deepEqual(e.detail, { workload: 'huge', epcSize: '9999999999999999Ti' }, 'names the manifest value, not an annotation');
  // the annotation still wins over the out-of-range manifest value
  assert.equal(mutatePod(pod({ workload: 'huge', annotations: { 'cloister.dev/epc': '64Mi' } }), c).epcBytes, 64n * 1024n * 1024n);
});
