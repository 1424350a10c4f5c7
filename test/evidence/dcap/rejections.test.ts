import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeDcapQuote,
  isSgxDebug,
  isTdDebug,
  looksLikeDcapQuote,
  parseDcapQuote,
  pckChainPem,
  serializeDcapQuote,
  type DcapQuote,
} from '../../../src/evidence/dcap/index.js';
import { assertThrowsCode } from '../../support/assert_code.js';
import { fieldOffsets, getU32, insertAt, pattern, sampleQuote, setU16, setU32 } from './fixtures.js';

/** Each structural check of the parser and serializer, one malformed field at a time. */

const v3 = sampleQuote(3, 1);
const v4td = sampleQuote(4, 2);
const v5sgx = sampleQuote(5, 1);
const v5td15 = sampleQuote(5, 3);
const bytesOf = (q: DcapQuote): Uint8Array => serializeDcapQuote(q);
const parse = (b: Uint8Array) => () => parseDcapQuote(b);

describe('header checks', () => {
  test('version other than 3, 4, 5 is QUOTE_VERSION_UNSUPPORTED', () => {
    for (const v of [0, 1, 2, 6, 0x0103, 0xffff]) assertThrowsCode(parse(setU16(bytesOf(v4td), 0, v)), 'QUOTE_VERSION_UNSUPPORTED', `v${v}`);
  });
  test('attestation key type other than 2 is QUOTE_ATTESTATION_KEY_TYPE_UNSUPPORTED', () => {
    for (const t of [0, 1, 3, 0x0102]) assertThrowsCode(parse(setU16(bytesOf(v3), 2, t)), 'QUOTE_ATTESTATION_KEY_TYPE_UNSUPPORTED');
  });
  test('v3 with a non-zero tee type, or any unknown tee type, is QUOTE_TEE_TYPE_UNSUPPORTED', () => {
    assertThrowsCode(parse(setU32(bytesOf(v3), 4, 0x81)), 'QUOTE_TEE_TYPE_UNSUPPORTED');
    assertThrowsCode(parse(setU32(bytesOf(v3), 4, 1)), 'QUOTE_TEE_TYPE_UNSUPPORTED');
    for (const t of [1, 0x80, 0x82, 0x81000000]) assertThrowsCode(parse(setU32(bytesOf(v4td), 4, t)), 'QUOTE_TEE_TYPE_UNSUPPORTED');
  });
  test('a v4 SGX header on a TD body (or the reverse) does not parse', () => {
    // v3/v4 carry no body descriptor: the tee type picks the body size, so the rest misaligns.
    assertThrowsCode(parse(setU32(bytesOf(v4td), 4, 0)), ['QUOTE_SIGNATURE_DATA_SIZE_INVALID', 'QUOTE_TRUNCATED', 'CERT_DATA_SIZE_INVALID', 'CERT_DATA_TYPE_UNSUPPORTED']);
    assertThrowsCode(parse(setU32(bytesOf(sampleQuote(4, 1)), 4, 0x81)), ['QUOTE_SIGNATURE_DATA_SIZE_INVALID', 'QUOTE_TRUNCATED', 'CERT_DATA_SIZE_INVALID', 'CERT_DATA_TYPE_UNSUPPORTED']);
  });
});

describe('v5 body descriptor checks', () => {
  test('unknown body type is QUOTE_BODY_TYPE_UNSUPPORTED', () => {
    for (const t of [0, 4, 0xffff]) assertThrowsCode(parse(setU16(bytesOf(v5td15), 48, t)), 'QUOTE_BODY_TYPE_UNSUPPORTED');
  });
  test('SGX header with a TD body type, or TDX header with the SGX body type, is QUOTE_TEE_TYPE_UNSUPPORTED', () => {
    assertThrowsCode(parse(setU16(bytesOf(v5sgx), 48, 2)), 'QUOTE_TEE_TYPE_UNSUPPORTED');
    assertThrowsCode(parse(setU16(bytesOf(v5sgx), 48, 3)), 'QUOTE_TEE_TYPE_UNSUPPORTED');
    assertThrowsCode(parse(setU16(bytesOf(v5td15), 48, 1)), 'QUOTE_TEE_TYPE_UNSUPPORTED');
  });
  test('body size that does not match the body type is QUOTE_BODY_SIZE_INVALID', () => {
    for (const s of [0, 584, 647, 649, 0xffffffff]) assertThrowsCode(parse(setU32(bytesOf(v5td15), 50, s)), 'QUOTE_BODY_SIZE_INVALID', `size ${s}`);
    assertThrowsCode(parse(setU32(bytesOf(v5sgx), 50, 385)), 'QUOTE_BODY_SIZE_INVALID');
    // TD 1.0 body type on a TD 1.5 body: the size (648) does not fit type 2 (584).
    assertThrowsCode(parse(setU16(bytesOf(v5td15), 48, 2)), 'QUOTE_BODY_SIZE_INVALID');
  });
});

describe('signature data length checks', () => {
  for (const q of [v3, v4td, v5td15]) {
    const label = `v${q.header.version}/${q.body.bodyType}`;
    const raw = bytesOf(q);
    const { sigLenAt } = fieldOffsets(q);
    const sigLen = getU32(raw, sigLenAt);

    test(`${label}: length past the end of the quote is QUOTE_TRUNCATED`, () => {
      assertThrowsCode(parse(setU32(raw, sigLenAt, sigLen + 1)), 'QUOTE_TRUNCATED');
      assertThrowsCode(parse(setU32(raw, sigLenAt, 0xffffffff)), 'QUOTE_TRUNCATED');
    });
    test(`${label}: length longer than the content (extra byte inside) is QUOTE_SIGNATURE_DATA_SIZE_INVALID`, () => {
      const longer = setU32(insertAt(raw, raw.length, Uint8Array.of(0)), sigLenAt, sigLen + 1);
      assertThrowsCode(parse(longer), 'QUOTE_SIGNATURE_DATA_SIZE_INVALID');
    });
    test(`${label}: length shorter than the content is rejected as a size mismatch, not as trailing data`, () => {
      assertThrowsCode(parse(setU32(raw, sigLenAt, sigLen - 1)), ['QUOTE_SIGNATURE_DATA_SIZE_INVALID', 'CERT_DATA_SIZE_INVALID']);
      assertThrowsCode(parse(setU32(raw, sigLenAt, 100)), 'QUOTE_SIGNATURE_DATA_SIZE_INVALID');
      assertThrowsCode(parse(setU32(raw, sigLenAt, 0)), 'QUOTE_SIGNATURE_DATA_SIZE_INVALID');
    });
  }
});

describe('certification data checks', () => {
  test('v4/v5 outer certification data must be type 6', () => {
    for (const q of [v4td, v5td15, sampleQuote(4, 1)]) {
      const { outerTypeAt } = fieldOffsets(q);
      for (const t of [5, 1, 7]) assertThrowsCode(parse(setU16(bytesOf(q), outerTypeAt!, t)), 'CERT_DATA_TYPE_UNSUPPORTED');
    }
  });
  test('unknown types and type 6 nested in type 6 (or in a v3 quote) are CERT_DATA_TYPE_UNSUPPORTED', () => {
    for (const q of [v3, v4td, v5sgx]) {
      const { innerTypeAt } = fieldOffsets(q);
      for (const t of [0, 6, 8, 0xffff]) assertThrowsCode(parse(setU16(bytesOf(q), innerTypeAt, t)), 'CERT_DATA_TYPE_UNSUPPORTED', `type ${t}`);
    }
    const { outerTypeAt } = fieldOffsets(v4td);
    assertThrowsCode(parse(setU16(bytesOf(v4td), outerTypeAt!, 9)), 'CERT_DATA_TYPE_UNSUPPORTED');
  });
  test('types 1-4 and 7 parse as opaque data (no PCK chain)', () => {
    for (const t of [1, 2, 3, 4, 7] as const) {
      const q = parseDcapQuote(bytesOf(sampleQuote(4, 2, { certType: t, certData: pattern(20, t) })));
      assert.equal(q.signatureData.qeReportCertData.certificationData.type, t);
      assert.deepEqual(q.signatureData.qeReportCertData.certificationData.data, pattern(20, t));
      assert.equal(pckChainPem(q), undefined);
    }
  });
  test('inner size larger than what is left is CERT_DATA_SIZE_INVALID', () => {
    for (const q of [v3, v4td]) {
      const { innerTypeAt } = fieldOffsets(q);
      const raw = bytesOf(q);
      const size = getU32(raw, innerTypeAt + 2);
      assertThrowsCode(parse(setU32(raw, innerTypeAt + 2, size + 1)), 'CERT_DATA_SIZE_INVALID');
      assertThrowsCode(parse(setU32(raw, innerTypeAt + 2, 0xffffffff)), 'CERT_DATA_SIZE_INVALID');
    }
  });
  test('inner size smaller than the type-6 wrapper says is CERT_DATA_SIZE_INVALID (leftover bytes)', () => {
    const { innerTypeAt } = fieldOffsets(v4td);
    const raw = bytesOf(v4td);
    assertThrowsCode(parse(setU32(raw, innerTypeAt + 2, getU32(raw, innerTypeAt + 2) - 1)), 'CERT_DATA_SIZE_INVALID');
  });
  test('outer type-6 size disagreeing with its content is CERT_DATA_SIZE_INVALID', () => {
    const { sigLenAt, outerTypeAt } = fieldOffsets(v4td);
    const raw = bytesOf(v4td);
    const outerSize = getU32(raw, outerTypeAt! + 2);
    assertThrowsCode(parse(setU32(raw, outerTypeAt! + 2, outerSize + 1)), 'CERT_DATA_SIZE_INVALID');
    assertThrowsCode(parse(setU32(raw, outerTypeAt! + 2, outerSize - 1)), 'CERT_DATA_SIZE_INVALID');
    // One extra byte inside the wrapper, with the signature data length kept consistent.
    let grown = insertAt(raw, raw.length, Uint8Array.of(0));
    grown = setU32(grown, outerTypeAt! + 2, outerSize + 1);
    grown = setU32(grown, sigLenAt, getU32(raw, sigLenAt) + 1);
    assertThrowsCode(parse(grown), 'CERT_DATA_SIZE_INVALID');
  });
  test('QE authentication data length running into the certification data is rejected', () => {
    for (const q of [v3, v4td]) {
      const { authLenAt } = fieldOffsets(q);
      assertThrowsCode(parse(setU16(bytesOf(q), authLenAt, 0xffff)), ['CERT_DATA_SIZE_INVALID', 'QUOTE_SIGNATURE_DATA_SIZE_INVALID']);
      assertThrowsCode(parse(setU16(bytesOf(q), authLenAt, 33)), ['CERT_DATA_SIZE_INVALID', 'QUOTE_SIGNATURE_DATA_SIZE_INVALID', 'CERT_DATA_TYPE_UNSUPPORTED']);
    }
  });
});

describe('parsed quote shape', () => {
  test('fields are views of one private copy: changing the input later changes nothing', () => {
    const raw = bytesOf(v4td);
    const q = parseDcapQuote(raw);
    const before = serializeDcapQuote(q);
    raw.fill(0xee);
    assert.deepEqual(serializeDcapQuote(q), before);
    assert.notEqual(q.signedBytes.buffer, raw.buffer);
    assert.equal(q.body.report.reportData.buffer, q.signedBytes.buffer, 'byte fields share the one copy');
  });
  test('signedBytes is header..end of body, and includes the v5 descriptor', () => {
    assert.equal(parseDcapQuote(bytesOf(v3)).signedBytes.length, 48 + 384);
    assert.equal(parseDcapQuote(bytesOf(v4td)).signedBytes.length, 48 + 584);
    const v5 = parseDcapQuote(bytesOf(v5td15));
    assert.equal(v5.signedBytes.length, 48 + 6 + 648);
    assert.deepEqual(v5.signedBytes.subarray(48, 54), Uint8Array.of(3, 0, 0x88, 2, 0, 0));
  });
  test('a parse with Buffer input gives the same quote', () => {
    const raw = bytesOf(v5sgx);
    assert.deepEqual(serializeDcapQuote(parseDcapQuote(Buffer.from(raw))), raw);
  });
});

describe('helpers', () => {
  test('isSgxDebug reads ATTRIBUTES.FLAGS bit 1 only', () => {
    const attrs = (b0: number) => ({ attributes: Uint8Array.of(b0, 0, 0, 0, 0, 0, 0, 0, 0xe7, 0, 0, 0, 0, 0, 0, 0) });
    assert.equal(isSgxDebug(attrs(0x07)), true);
    assert.equal(isSgxDebug(attrs(0x02)), true);
    assert.equal(isSgxDebug(attrs(0x05)), false);
    assert.equal(isSgxDebug(attrs(0xfd)), false);
  });
  test('isTdDebug reads TD_ATTRIBUTES bit 0 only', () => {
    assert.equal(isTdDebug({ tdAttributes: Uint8Array.of(1, 0, 0, 0x10, 0, 0, 0, 0) }), true);
    assert.equal(isTdDebug({ tdAttributes: Uint8Array.of(0, 0, 0, 0x10, 0, 0, 0, 0) }), false);
    assert.equal(isTdDebug({ tdAttributes: Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) }), false);
  });
  test('looksLikeDcapQuote sniffs version, key type and minimum length', () => {
    const raw = bytesOf(v3);
    assert.equal(looksLikeDcapQuote(raw), true);
    assert.equal(looksLikeDcapQuote(raw.subarray(0, 432)), true);
    assert.equal(looksLikeDcapQuote(raw.subarray(0, 431)), false);
    assert.equal(looksLikeDcapQuote(setU16(raw, 0, 2)), false);
    assert.equal(looksLikeDcapQuote(setU16(raw, 0, 6)), false);
    assert.equal(looksLikeDcapQuote(setU16(raw, 2, 3)), false);
    assert.equal(looksLikeDcapQuote(new Uint8Array(1184)), false); // an SEV-SNP report-sized buffer
  });
  test('pckChainPem returns the exact type-5 bytes through type 6', () => {
    const pem = new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n\0');
    for (const [v, b] of [[3, 1], [4, 2], [5, 3]] as const) {
      assert.deepEqual(pckChainPem(parseDcapQuote(bytesOf(sampleQuote(v, b, { certData: pem })))), pem);
    }
  });
  test('describeDcapQuote lists decoded fields as hex / numbers / booleans', () => {
    const d = describeDcapQuote(parseDcapQuote(bytesOf(v5td15)));
    const get = (f: string) => d.find((x) => x.field === f)?.value;
    assert.equal(get('version'), 5);
    assert.equal(get('tee'), 'tdx');
    assert.equal(get('bodySize'), 648);
    assert.equal(get('report.mrTd'), Buffer.from(v5td15.body.tee === 'tdx' ? v5td15.body.report.mrTd : []).toString('hex'));
    assert.equal(typeof get('report.mrServiceTd'), 'string');
    assert.equal(get('certificationDataType'), '6 (QE report certification data) -> 5 (PCK certificate chain (PEM))');
    assert.equal(get('pckChainCertificates'), 1);
    assert.equal(typeof get('debug'), 'boolean');
    for (const { value } of d) assert.ok(['string', 'number', 'boolean'].includes(typeof value));
    const sgx = describeDcapQuote(parseDcapQuote(bytesOf(v3)));
    assert.ok(sgx.some((x) => x.field === 'report.mrEnclave'));
    assert.equal(sgx.find((x) => x.field === 'certificationDataType')?.value, '5 (PCK certificate chain (PEM))');
  });
});

describe('serializer rejects objects the parser could not have produced', () => {
  const withHeader = (q: DcapQuote, h: Partial<DcapQuote['header']>): DcapQuote => ({ ...q, header: { ...q.header, ...h } as DcapQuote['header'] });
  test('header values the parser rejects', () => {
    assertThrowsCode(() => serializeDcapQuote(withHeader(v4td, { version: 6 as 5 })), 'QUOTE_VERSION_UNSUPPORTED');
    assertThrowsCode(() => serializeDcapQuote(withHeader(v4td, { attestationKeyType: 3 })), 'QUOTE_ATTESTATION_KEY_TYPE_UNSUPPORTED');
    assertThrowsCode(() => serializeDcapQuote(withHeader(v3, { teeType: 0x81 })), 'QUOTE_TEE_TYPE_UNSUPPORTED');
    assertThrowsCode(() => serializeDcapQuote(withHeader(v4td, { qeSvn: 0x10000 })), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote(withHeader(v4td, { userData: new Uint8Array(19) })), 'QUOTE_STRUCTURE_INVALID');
  });
  test('body that does not fit the header', () => {
    assertThrowsCode(() => serializeDcapQuote(withHeader(v4td, { teeType: 0 })), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote(withHeader(v5td15, { version: 4 })), 'QUOTE_STRUCTURE_INVALID');
    const shortMr = { ...v3, body: { ...v3.body, report: { ...v3.body.report, mrEnclave: new Uint8Array(31) } } } as DcapQuote;
    assertThrowsCode(() => serializeDcapQuote(shortMr), 'QUOTE_STRUCTURE_INVALID');
  });
  test('signature data fields of the wrong size or inconsistent with each other', () => {
    const sd = v4td.signatureData;
    const qc = sd.qeReportCertData;
    const withSig = (s: Partial<DcapQuote['signatureData']>): DcapQuote => ({ ...v4td, signatureData: { ...sd, ...s } });
    const withQc = (c: Partial<typeof qc>): DcapQuote => withSig({ qeReportCertData: { ...qc, ...c } });
    assertThrowsCode(() => serializeDcapQuote(withSig({ signature: new Uint8Array(65) })), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote(withSig({ attestationKey: new Uint8Array(63) })), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote(withQc({ qeReportBytes: new Uint8Array(384) })), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote(withQc({ qeAuthData: new Uint8Array(0x10000) })), 'QUOTE_STRUCTURE_INVALID');
    const nested = { type: 6, data: new Uint8Array(0), qeReportCertData: qc } as const;
    assertThrowsCode(() => serializeDcapQuote(withQc({ certificationData: nested })), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote(withQc({ certificationData: { type: 9 as 7, data: new Uint8Array(1) } })), 'QUOTE_STRUCTURE_INVALID');
  });
  test('padding must be a non-negative integer and exclusive with trailingData', () => {
    assertThrowsCode(() => serializeDcapQuote({ ...v3, trailingZeroPadding: -1 }), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote({ ...v3, trailingZeroPadding: 1.5 }), 'QUOTE_STRUCTURE_INVALID');
    assertThrowsCode(() => serializeDcapQuote({ ...v3, trailingZeroPadding: 2, trailingData: Uint8Array.of(1) }), 'QUOTE_STRUCTURE_INVALID');
    const withData = serializeDcapQuote({ ...v3, trailingData: Uint8Array.of(1, 2) });
    assertThrowsCode(parse(withData), 'QUOTE_TRAILING_DATA');
    assert.deepEqual(parseDcapQuote(withData, { allowTrailingData: true }).trailingData, Uint8Array.of(1, 2));
  });
});
