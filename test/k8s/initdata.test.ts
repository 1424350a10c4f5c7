import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  bindDigest, decodeInitdataAnnotation, encodeInitdataAnnotation, initdataDigest, readInitdataHeader, renderInitdata, workloadInitdata,
} from '../../src/k8s/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { readVector, readVectorText, SKIP_NO_VECTORS } from '../support/vectors.js';
import { config } from './support/fixtures.js';

/** Kata initdata: encoding and digests against the real Kata/Trustee files in shared/vectors/policy. */
const KATA = 'policy/kata';
const ANN = 'io.katacontainers.config.hypervisor.cc_init_data';

describe('initdata vectors', { skip: SKIP_NO_VECTORS }, () => {
  const want = () => JSON.parse(readVectorText('policy', 'initdata-digests.json')) as Record<string, { digests_of_exact_bytes: Record<string, string> }>;

  test("the Kata example pod's annotation decodes to the vector TOML, whose digest and TEE bindings match", () => {
    const pod = parse(readVectorText(KATA, 'pod-one-container.yaml')) as { metadata: { annotations: Record<string, string> } };
    const toml = decodeInitdataAnnotation(pod.metadata.annotations[ANN]!);
    assert.deepEqual(Buffer.from(toml), Buffer.from(readVector(KATA, 'pod-one-container.initdata.toml')));
    const d = initdataDigest(toml);
    const sha256 = want()['pod-one-container.initdata.toml']!.digests_of_exact_bytes.sha256!;
    assert.equal(d.algorithm, 'sha256');
    assert.equal(d.digest, sha256);
    assert.equal(d.snpHostData, sha256, 'SNP HOST_DATA (32 bytes) = the SHA-256 digest');
    assert.equal(d.tdxMrConfigId, sha256 + '00'.repeat(16), 'TDX MRCONFIGID (48 bytes) = digest zero-padded');
  });

  test('rendering the vector policy gives the exact genpolicy bytes (same digest)', () => {
    const policy = readVectorText(KATA, 'pod-one-container.policy.rego');
    const toml = renderInitdata({ algorithm: 'sha256', data: { 'policy.rego': policy } });
    assert.equal(toml, readVectorText(KATA, 'pod-one-container.initdata.toml'));
    assert.equal(initdataDigest(renderInitdata({ algorithm: 'sha256', data: {} })).digest, want()['default-initdata.toml']!.digests_of_exact_bytes.sha256);
    assert.equal(renderInitdata({ algorithm: 'sha256', data: {} }), readVectorText(KATA, 'default-initdata.toml'));
  });

  test('the same bytes with algorithm sha384 hash to the vector sha384 digest (hash over exact bytes, no re-serialization)', () => {
    const bytes = readVectorText(KATA, 'pod-one-container.initdata.toml').replace('algorithm = "sha256"', 'algorithm = "sha384"');
    const d = initdataDigest(bytes);
    assert.equal(d.digest, createHash('sha384').update(bytes).digest('hex'));
    assert.equal(d.tdxMrConfigId, d.digest, 'a SHA-384 digest fills MRCONFIGID exactly');
    assert.equal(d.snpHostData, d.digest.slice(0, 64), 'and is truncated to HOST_DATA');
  });

  test('the annotation we write round-trips to the same bytes', () => {
    const toml = readVector(KATA, 'pod-one-container.initdata.toml');
    assert.deepEqual(Buffer.from(decodeInitdataAnnotation(encodeInitdataAnnotation(toml))), Buffer.from(toml));
  });
});

describe('initdata encoding', () => {
  test('values that cannot be TOML literal strings are escaped basic strings; keys are sorted', () => {
    const toml = renderInitdata({ algorithm: 'sha512', data: { 'z.txt': "has ''' inside", 'a.txt': 'tab\there\u0001', 'm.txt': 'plain\n' } });
    assert.equal(
      toml,
      'version = "0.1.0"\nalgorithm = "sha512"\n\n[data]\n"a.txt" = "tab\\there\\u0001"\n"m.txt" = \'\'\'\nplain\n\'\'\'\n"z.txt" = "has \'\'\' inside"\n',
    );
    assert.equal(initdataDigest(toml).digest.length, 128);
  });

  test('header checks: version and algorithm', () => {
    assertThrowsCode(() => readInitdataHeader(Buffer.from('version = "0.2.0"\nalgorithm = "sha256"\n')), 'K8S_INITDATA_INVALID');
    assertThrowsCode(() => readInitdataHeader(Buffer.from('version = "0.1.0"\nalgorithm = "md5"\n')), 'K8S_INITDATA_INVALID');
    assertThrowsCode(() => readInitdataHeader(Buffer.from('version = "0.1.0"\n')), 'K8S_INITDATA_INVALID');
    assertThrowsCode(() => readInitdataHeader(Buffer.from('version = "0.1.0"\nalgorithm = "sha256"\nalgorithm = "sha384"\n')), 'K8S_INITDATA_INVALID');
    // fields under [data] are data, not the header
    assertThrowsCode(() => readInitdataHeader(Buffer.from('[data]\nversion = "0.1.0"\nalgorithm = "sha256"\n')), 'K8S_INITDATA_INVALID');
    assert.equal(readInitdataHeader(Buffer.from("version = '0.1.0' # c\nalgorithm = 'sha384'\n")).algorithm, 'sha384');
    assertThrowsCode(() => renderInitdata({ algorithm: 'md5' as 'sha256', data: {} }), 'K8S_INITDATA_INVALID');
  });

  test('annotation decoding rejects bad base64, non-gzip data and oversized documents', () => {
    for (const bad of ['', 'not base64!', 'YWJj', 'bm90IGd6aXA=']) assertThrowsCode(() => decodeInitdataAnnotation(bad), 'K8S_INITDATA_INVALID', bad);
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024)).toString('base64');
    assertThrowsCode(() => decodeInitdataAnnotation(bomb), 'K8S_INITDATA_INVALID');
  });

  test('binding pads with zeros at the end or truncates the end', () => {
    assert.deepEqual(bindDigest(new Uint8Array([1, 2, 3]), 5), new Uint8Array([1, 2, 3, 0, 0]));
    assert.deepEqual(bindDigest(new Uint8Array([1, 2, 3]), 2), new Uint8Array([1, 2]));
  });

  test("the webhook's initdata depends on workload and configuration, not on the pod", () => {
    const cfg = config();
    const a = workloadInitdata(cfg, 'db');
    assert.equal(a, workloadInitdata(cfg, 'db'));
    assert.notEqual(a, workloadInitdata(cfg, 'api'));
    assert.notEqual(a, workloadInitdata(config({ kataPolicy: 'package agent_policy\n' }), 'db'));
    assert.notEqual(a, workloadInitdata(config({ coordinator: 'https://elsewhere:4433' }), 'db'));
    // not over the manifest hash: the manifest pins this digest, so that would be circular
    assert.equal(a, workloadInitdata({ ...config(), manifestHash: '00'.repeat(32) } as ReturnType<typeof config>, 'db'));
    assert.match(a, /\n"cloister.toml" = '''\ncoordinator = "https:\/\/cloister-coordinator.cloister.svc:4433"\nworkload = "db"\n'''\n"policy.rego" = '''\n/);
    assertThrowsCode(() => workloadInitdata(config({ kataPolicy: undefined }), 'db'), 'K8S_INITDATA_POLICY_MISSING');
  });
});
