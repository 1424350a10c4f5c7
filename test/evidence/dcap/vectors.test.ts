import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { toHex } from '../../../src/common/bytes.js';
import {
  certificationDataTypes,
  describeDcapQuote,
  isSgxDebug,
  isTdDebug,
  parseDcapQuote,
  pckChainPem,
  serializeDcapQuote,
  type DcapQuote,
} from '../../../src/evidence/dcap/index.js';
import { BODY_SIZES } from '../../../src/evidence/dcap/reports.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { listCases, listCorpus, mutate, readVector, SKIP_NO_CORPUS, SKIP_NO_VECTORS } from '../../support/vectors.js';

/**
 * Every real SGX/TDX quote in ../shared/vectors and ../shared/corpus: parses, matches the
 * fields the case.json decoded/expect blocks name, and serializes back byte for byte.
 */

type Getter = (q: DcapQuote, raw: Uint8Array) => unknown;
const hex = (b: Uint8Array): string => toHex(b);
const sgx = (q: DcapQuote) => {
  assert.equal(q.body.tee, 'sgx');
  return q.body.report as Extract<DcapQuote['body'], { tee: 'sgx' }>['report'];
};
const tdx = (q: DcapQuote) => {
  assert.equal(q.body.tee, 'tdx');
  return q.body.report as Extract<DcapQuote['body'], { tee: 'tdx' }>['report'];
};
const td15 = (q: DcapQuote) => {
  assert.equal(q.body.bodyType, 3);
  return q.body.report as Extract<DcapQuote['body'], { bodyType: 3 }>['report'];
};

/** case.json field name -> the parsed value in the same spelling (hex for bytes). */
const FIELDS: Readonly<Record<string, Getter>> = {
  quote_version: (q) => q.header.version,
  tee_type: (q) => q.header.teeType,
  att_key_type: (q) => q.header.attestationKeyType,
  qe_svn: (q) => q.header.qeSvn,
  pce_svn: (q) => q.header.pceSvn,
  qe_vendor_id: (q) => hex(q.header.qeVendorId),
  user_data: (q) => hex(q.header.userData),
  quote_len: (_q, raw) => raw.length,
  trailing_bytes_after_signature_data: (q) => q.trailingData?.length ?? q.trailingZeroPadding,
  certification_data_type: (q) => q.signatureData.qeReportCertData.certificationData.type,
  v5_body_type: (q) => q.body.bodyType,
  v5_body_size: (q) => BODY_SIZES[q.body.bodyType],
  cpu_svn: (q) => hex(sgx(q).cpuSvn),
  misc_select: (q) => sgx(q).miscSelect,
  attributes: (q) => hex(sgx(q).attributes),
  mr_enclave: (q) => hex(sgx(q).mrEnclave),
  mr_signer: (q) => hex(sgx(q).mrSigner),
  isv_prod_id: (q) => sgx(q).isvProdId,
  isv_svn: (q) => sgx(q).isvSvn,
  config_svn: (q) => sgx(q).configSvn,
  report_data: (q) => hex(q.body.report.reportData),
  debug: (q) => (q.body.tee === 'sgx' ? isSgxDebug(q.body.report) : isTdDebug(q.body.report)),
  tee_tcb_svn: (q) => hex(tdx(q).teeTcbSvn),
  mr_seam: (q) => hex(tdx(q).mrSeam),
  mr_signer_seam: (q) => hex(tdx(q).mrSignerSeam),
  seam_attributes: (q) => hex(tdx(q).seamAttributes),
  td_attributes: (q) => hex(tdx(q).tdAttributes),
  xfam: (q) => hex(tdx(q).xfam),
  mr_td: (q) => hex(tdx(q).mrTd),
  mr_config_id: (q) => hex(tdx(q).mrConfigId),
  mr_owner: (q) => hex(tdx(q).mrOwner),
  mr_owner_config: (q) => hex(tdx(q).mrOwnerConfig),
  rtmr0: (q) => hex(tdx(q).rtmr0),
  rtmr1: (q) => hex(tdx(q).rtmr1),
  rtmr2: (q) => hex(tdx(q).rtmr2),
  rtmr3: (q) => hex(tdx(q).rtmr3),
  tee_tcb_svn2: (q) => hex(td15(q).teeTcbSvn2),
  mr_servicetd: (q) => hex(td15(q).mrServiceTd),
  qe_report_isv_svn: (q) => q.signatureData.qeReportCertData.qeReport.isvSvn,
  qe_report_isv_prod_id: (q) => q.signatureData.qeReportCertData.qeReport.isvProdId,
  qe_report_mr_signer: (q) => hex(q.signatureData.qeReportCertData.qeReport.mrSigner),
};
/** `decoded` keys that are not quote fields (they come from the PCK certificate). */
const NOT_QUOTE_FIELDS = new Set(['pck']);

/** go-tdx-guest's SPR quote ends with 39 bytes of ASCII ("extra bytes(only for testing purpose)"). */
const NON_ZERO_TRAILER_CASE = 'tdx/go-tdx-guest-spr-v4';

const quoteCases = listCases().filter((c) => (c.tee === 'sgx' || c.tee === 'tdx') && c.files.quote !== undefined);

function checkRoundTrip(q: DcapQuote, raw: Uint8Array): void {
  assert.deepEqual(serializeDcapQuote(q), raw, 'serialize(parse(x)) must equal x');
}

describe('real DCAP quotes (shared/vectors)', { skip: SKIP_NO_VECTORS }, () => {
  test('the vectors hold SGX v3, TDX v4 and v5 quotes', () => {
    assert.ok(quoteCases.length >= 10, `only ${quoteCases.length} quote cases`);
  });

  for (const c of quoteCases) {
    test(`${c.id}: parses, decodes the documented fields, round-trips`, () => {
      const raw = readVector(c.id, c.files.quote!);
      const q = parseDcapQuote(raw, { allowTrailingData: c.id === NON_ZERO_TRAILER_CASE });
      assert.equal(q.body.tee, c.tee);
      let compared = 0;
      for (const [key, want] of Object.entries(c.decoded ?? {})) {
        if (NOT_QUOTE_FIELDS.has(key)) continue;
        const get = FIELDS[key];
        assert.ok(get !== undefined, `decoded.${key} has no mapping in this test; add one`);
        assert.deepEqual(get(q, raw), want, `${c.id} decoded.${key}`);
        compared++;
      }
      for (const [key, want] of Object.entries(c.expect)) {
        const get = FIELDS[key];
        if (get === undefined) continue; // verification outcomes, PCK fields: not the parser's business
        assert.deepEqual(get(q, raw), want, `${c.id} expect.${key}`);
        compared++;
      }
      assert.ok(compared >= 5, `${c.id}: only ${compared} fields compared`);
      assert.deepEqual(q.signedBytes, raw.subarray(0, q.header.version === 5 ? 54 + BODY_SIZES[q.body.bodyType] : 48 + BODY_SIZES[q.body.bodyType]));
      checkRoundTrip(q, raw);
      assert.ok(describeDcapQuote(q).length > 20);
    });
  }

  test('tdx/oasis-v4-trailing: zero padding is recorded, and rejected when padding is not allowed', () => {
    const raw = readVector('tdx/oasis-v4-trailing', 'quote.bin');
    const q = parseDcapQuote(raw);
    assert.equal(q.trailingZeroPadding, 70);
    assert.equal(raw.length - q.trailingZeroPadding, 4936); // case.json parsed_quote_size_without_trailing
    assertThrowsCode(() => parseDcapQuote(raw, { allowTrailingZeroPadding: false }), 'QUOTE_TRAILING_DATA');
    const unpadded = parseDcapQuote(raw.subarray(0, 4936), { allowTrailingZeroPadding: false });
    assert.equal(unpadded.trailingZeroPadding, 0);
  });

  test(`${NON_ZERO_TRAILER_CASE}: non-zero trailing bytes are rejected by default, kept with allowTrailingData`, () => {
    const raw = readVector(NON_ZERO_TRAILER_CASE, 'quote.bin');
    assertThrowsCode(() => parseDcapQuote(raw), 'QUOTE_TRAILING_DATA');
    const q = parseDcapQuote(raw, { allowTrailingData: true });
    assert.equal(q.trailingZeroPadding, 0);
    assert.equal(Buffer.from(q.trailingData!).toString('latin1'), '\nextra bytes(only for testing purpose)\n');
    checkRoundTrip(q, raw);
    // Without the trailer (oasis-core ships the same quote that way) it parses by default.
    assert.equal(parseDcapQuote(raw.subarray(0, raw.length - 39)).trailingZeroPadding, 0);
  });

  test('go-tdx-guest parse-class mutations are rejected with an EvidenceError', () => {
    const c = quoteCases.find((k) => k.id === NON_ZERO_TRAILER_CASE)!;
    const raw = readVector(c.id, 'quote.bin');
    const parseMutations = (c.mutations ?? []).filter((m) => (m as { class?: string }).class === 'parse');
    assert.equal(parseMutations.length, 2);
    const want: Record<number, string[]> = {
      0: ['QUOTE_TEE_TYPE_UNSUPPORTED'], // version 3 with a TDX tee type
      632: ['CERT_DATA_SIZE_INVALID', 'QUOTE_SIGNATURE_DATA_SIZE_INVALID'], // signature data length shrunk
    };
    for (const m of parseMutations) {
      assertThrowsCode(() => parseDcapQuote(mutate(raw, m), { allowTrailingData: true }), want[m.offset]!, `offset ${m.offset}`);
    }
  });

  test('helpers on real quotes: debug flags, PCK chain, certification data types', () => {
    const occlum = parseDcapQuote(readVector('sgx/trustee-occlum-parse-only', 'quote.bin'));
    assert.equal(occlum.body.tee === 'sgx' && isSgxDebug(occlum.body.report), true);
    const sample = parseDcapQuote(readVector('sgx/dcap-qvl-sample', 'quote.bin'));
    assert.equal(sample.body.tee === 'sgx' && isSgxDebug(sample.body.report), false);
    const pem = pckChainPem(sample)!;
    assert.ok(Buffer.from(pem).toString('latin1').startsWith('-----BEGIN CERTIFICATE-----'));
    assert.deepEqual(certificationDataTypes(sample), [5]);

    const eppid = parseDcapQuote(readVector('sgx/oasis-eppid-parse-only', 'quote.bin'));
    assert.equal(pckChainPem(eppid), undefined);
    assert.deepEqual(certificationDataTypes(eppid), [3]);

    const td = parseDcapQuote(readVector('tdx/dcap-qvl-sample-v4', 'quote.bin'));
    assert.deepEqual(certificationDataTypes(td), [6, 5]);
    assert.equal(Buffer.from(pckChainPem(td)!).toString('latin1').split('-----BEGIN CERTIFICATE-----').length - 1, 3);
  });
});

describe('real DCAP quotes (shared/corpus)', { skip: SKIP_NO_CORPUS }, () => {
  const corpus = listCorpus().filter((c) => c.tee === 'sgx' || c.tee === 'tdx');
  test('the corpus holds DCAP quotes', () => assert.ok(corpus.length >= 3));
  for (const c of corpus) {
    test(`${c.id}: parses and round-trips`, () => {
      const raw = new Uint8Array(readFileSync(join(c.dir, 'quote.bin')));
      const q = parseDcapQuote(raw);
      assert.equal(q.body.tee, c.tee);
      checkRoundTrip(q, raw);
    });
  }
  test('tdx/trustee-quote4-debug-td is a debug TD', () => {
    const td = corpus.find((c) => c.id === 'tdx/trustee-quote4-debug-td');
    assert.ok(td !== undefined);
    const q = parseDcapQuote(new Uint8Array(readFileSync(join(td.dir, 'quote.bin'))));
    assert.equal(q.body.tee === 'tdx' && isTdDebug(q.body.report), true);
    assert.ok(describeDcapQuote(q).some((f) => f.field === 'debug' && f.value === true));
  });
});
