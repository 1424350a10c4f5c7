import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { INTEL_SGX_ROOT_CA, INTEL_SGX_ROOT_CA_SHA256 } from '../../../src/verify/dcap/index.js';
import { SKIP_NO_VECTORS, VECTORS_DIR } from '../../support/vectors.js';

describe('Intel SGX Root CA pin', () => {
  it('the pinned certificate has the published SHA-256 DER fingerprint', () => {
    assert.equal(INTEL_SGX_ROOT_CA_SHA256, '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3');
    assert.equal(createHash('sha256').update(INTEL_SGX_ROOT_CA.raw).digest('hex'), INTEL_SGX_ROOT_CA_SHA256);
    assert.equal(INTEL_SGX_ROOT_CA.subject.split('\n').find((l) => l.startsWith('CN=')), 'CN=Intel SGX Root CA');
  });
  it('equals the root published in the shared vectors', { skip: SKIP_NO_VECTORS }, () => {
    const pem = readFileSync(`${VECTORS_DIR}/roots/intel/Intel_SGX_Root_CA.pem`, 'utf8');
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
    assert.ok(der.equals(INTEL_SGX_ROOT_CA.raw));
  });
});
