import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { DER_TAG, children, readNode } from '../../../src/common/der.js';
import { CloisterError } from '../../../src/common/errors.js';
import { parseSnpReport } from '../../../src/evidence/snp/index.js';
import { verifySnpReport } from '../../../src/verify/snp/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { SKIP_NO_VECTORS, flip, readVector } from '../../support/vectors.js';

/** Tamper suite over a real Milan report (virtee/sev) with its VCEK, ASK and ARK: every byte of every signed region. */
const ID = 'snp/virtee-milan';
const AT = new Date('2023-04-04T19:23:43Z');

const PARSE_CODES = ['REPORT_RESERVED_NONZERO', 'REPORT_VERSION_UNSUPPORTED', 'REPORT_SIGNATURE_ALGO_UNSUPPORTED'];
const REGIONS = [
  { name: 'signed body 0x000..0x29F', start: 0x000, end: 0x2a0, codes: ['REPORT_SIGNATURE_INVALID', 'SIGNING_KEY_MISMATCH', 'REPORT_NOT_SIGNED', ...PARSE_CODES] },
  { name: 'signature r/s', start: 0x2a0, end: 0x2a0 + 144, codes: ['REPORT_SIGNATURE_INVALID'] },
  { name: 'reserved after the signature', start: 0x2a0 + 144, end: 0x4a0, codes: ['REPORT_RESERVED_NONZERO'] },
];

function load() {
  const report = readVector(ID, 'report.bin');
  const pem = Buffer.from(readVector(ID, 'cert_chain_milan.pem')).toString('latin1');
  const [askPem, arkPem] = pem.split(/(?=-----BEGIN CERTIFICATE-----)/);
  return { report, vek: readVector(ID, 'vcek.der'), ask: new Uint8Array(new X509Certificate(askPem!).raw), ark: new Uint8Array(new X509Certificate(arkPem!).raw) };
}

/** [start, end) of the signature value bytes (after the unused-bits byte) of a certificate. */
function signatureRange(der: Uint8Array): [number, number] {
  const sig = children(der, readNode(der, 0))[2]!;
  assert.equal(sig.tag, DER_TAG.BIT_STRING);
  return [sig.contentStart + 1, sig.end];
}

test('flipping any byte of the report is rejected with a typed error (every offset)', { skip: SKIP_NO_VECTORS }, () => {
  const { report, vek, ask, ark } = load();
  const certs = { vek: new X509Certificate(Buffer.from(vek)), ask: new X509Certificate(Buffer.from(ask)), ark: new X509Certificate(Buffer.from(ark)) };
  verifySnpReport(parseSnpReport(report), certs, { now: AT });
  let n = 0;
  for (const r of REGIONS) {
    for (let i = r.start; i < r.end; i++) {
      assertThrowsCode(() => verifySnpReport(parseSnpReport(flip(report, i)), certs, { now: AT }), r.codes, `${r.name} offset 0x${i.toString(16)}`);
      n++;
    }
  }
  assert.equal(n, 0x4a0);
});

test('truncated and extended reports are rejected', { skip: SKIP_NO_VECTORS }, () => {
  const { report } = load();
  for (const len of [0, 1, 0x2a0, 0x49f]) assertThrowsCode(() => parseSnpReport(report.subarray(0, len)), 'REPORT_TRUNCATED');
  for (const extra of [1, 16, 4096]) assertThrowsCode(() => parseSnpReport(new Uint8Array([...report, ...new Uint8Array(extra)])), 'REPORT_TRAILING_DATA');
});

test('flipping any signature byte of the VCEK, ASK or ARK certificate is rejected (every offset)', { skip: SKIP_NO_VECTORS }, () => {
  const { report, vek, ask, ark } = load();
  const parsed = parseSnpReport(report);
  const targets = [
    { name: 'VCEK', der: vek, codes: ['VEK_CHAIN_INVALID'] },
    { name: 'ASK', der: ask, codes: ['VEK_CHAIN_INVALID'] },
    { name: 'ARK', der: ark, codes: ['ARK_NOT_TRUSTED'] },
  ];
  for (const t of targets) {
    const [start, end] = signatureRange(t.der);
    assert.ok(end - start >= 256);
    for (let i = start; i < end; i++) {
      const certs = [vek, ask, ark].map((d) => (d === t.der ? flip(d, i) : d));
      assertThrowsCode(() => verifySnpReport(parsed, certs, { now: AT }), t.codes, `${t.name} signature byte ${i}`);
    }
  }
});

test('fast-check: mutated reports and certificates throw only CloisterErrors', { skip: SKIP_NO_VECTORS }, () => {
  const { report, vek, ask, ark } = load();
  const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });
  const apply = (b: Uint8Array, e: Array<[number, number]>): Uint8Array => {
    const out = b.slice();
    for (const [i, v] of e) out[i % out.length] = v;
    return out;
  };
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3 }), edits, (which, e) => {
      const blobs = [report, vek, ask, ark].map((b, k) => (k === which ? apply(b, e) : b));
      try {
        verifySnpReport(parseSnpReport(blobs[0]!), blobs.slice(1), { now: AT });
      } catch (err) {
        if (!(err instanceof CloisterError)) throw err;
      }
    }),
    { numRuns: 300 },
  );
});
