import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToMiB, parseByteQuantity, sgxResourceLimits, checkSgxPlugin } from '../../src/k8s/index.js';
import { assertThrowsCode } from '../support/assert_code.js';

test('byte quantities: plain, binary and decimal suffixes, fractions and exponents that give whole bytes', () => {
  const cases: Array<[string, bigint]> = [
    ['536870912', 536870912n], ['512Mi', 512n << 20n], ['1Gi', 1n << 30n], ['64Ki', 65536n], ['1G', 1_000_000_000n],
    ['1k', 1000n], ['1.5Gi', 3n << 29n], ['1e9', 1_000_000_000n], ['1E', 10n ** 18n], ['0', 0n],
  ];
  for (const [text, want] of cases) assert.equal(parseByteQuantity(text, 'epc'), want, text);
});

test('byte quantities: malformed, sub-byte and out-of-range values are refused', () => {
  for (const bad of ['', '-1', '1.5', '0.1Ki', '10m', '1ki', '1KB', 'Mi', '1 Gi', '1e99', '2Ei', '1.2.3']) {
    assertThrowsCode(() => parseByteQuantity(bad, 'epc'), 'K8S_QUANTITY_INVALID', bad);
  }
});

test('MiB rounds up; plugin resource names and units', () => {
  assert.equal(bytesToMiB(1n), 1n);
  assert.equal(bytesToMiB(1n << 20n), 1n);
  assert.equal(bytesToMiB((1n << 20n) + 1n), 2n);
  assert.deepEqual(sgxResourceLimits('intel', 1n << 20n), { 'sgx.intel.com/epc': '1048576', 'sgx.intel.com/enclave': '1', 'sgx.intel.com/provision': '1' });
  assert.deepEqual(sgxResourceLimits('aks', 3n << 20n), { 'sgx.intel.com/sgx_epc_mem_in_MiB': '3' });
  assert.deepEqual(sgxResourceLimits('aks-legacy', 3n << 20n), { 'kubernetes.azure.com/sgx_epc_mem_in_MiB': '3' });
  assertThrowsCode(() => checkSgxPlugin('azure'), 'K8S_CONFIG_INVALID');
});
