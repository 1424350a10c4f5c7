import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHexStrict, toHex } from '../../../src/common/bytes.js';
import { CloisterError } from '../../../src/common/errors.js';
import { children, readNode } from '../../../src/common/der.js';
import { parseDcapQuote, type DcapQuote } from '../../../src/evidence/dcap/index.js';
import { VerifyError } from '../../../src/verify/errors.js';
import { createDcapVerifier, prepareCollateral, type CollateralBundle } from '../../../src/verify/dcap/index.js';
import { flip, SKIP_NO_VECTORS } from '../../support/vectors.js';
import { dcapFullCases, loadCase, type LoadedCase } from './helpers.js';

/**
 * Every single-byte flip of every signed or signing region must be rejected (STYLE.md section 5).
 * Header bytes 0..7 (version, key type, TEE type) are rejected by the parser before any
 * signature is checked, so their allowed codes are the parser's; everything else must be a
 * VerifyError with one of the codes of its region.
 */
const HEADER_STRUCTURE_CODES = ['QUOTE_VERSION_UNSUPPORTED', 'QUOTE_ATTESTATION_KEY_TYPE_UNSUPPORTED', 'QUOTE_TEE_TYPE_UNSUPPORTED', 'QUOTE_TRUNCATED', 'QUOTE_BODY_TYPE_UNSUPPORTED', 'QUOTE_BODY_SIZE_INVALID', 'QUOTE_SIGNATURE_DATA_SIZE_INVALID', 'CERT_DATA_TYPE_UNSUPPORTED', 'CERT_DATA_SIZE_INVALID', 'QUOTE_TRAILING_DATA'];

interface Region {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly codes: readonly string[];
}

function at(hay: Uint8Array, needle: Uint8Array, what: string): number {
  const i = Buffer.from(hay).indexOf(Buffer.from(needle));
  assert.ok(i >= 0, `${what} not found in the quote`);
  return i;
}

/** The quote's byte regions with the codes a flip inside each may produce. */
function quoteRegions(l: LoadedCase): Region[] {
  const q = l.quote;
  const sd = q.signatureData;
  const qe = sd.qeReportCertData;
  const sig = at(l.quoteBytes, sd.signature, 'signature');
  const key = at(l.quoteBytes, sd.attestationKey, 'attestation key');
  const rep = at(l.quoteBytes, qe.qeReportBytes, 'QE report');
  const repSig = at(l.quoteBytes, qe.qeReportSignature, 'QE report signature');
  const auth = at(l.quoteBytes, qe.qeAuthData, 'QE auth data');
  return [
    { name: 'header structure (version, key type, TEE type)', start: 0, end: 8, codes: HEADER_STRUCTURE_CODES },
    { name: 'header rest + body (signed bytes)', start: 8, end: q.signedBytes.length, codes: ['QUOTE_SIGNATURE_INVALID'] },
    { name: 'quote signature', start: sig, end: sig + 64, codes: ['QUOTE_SIGNATURE_INVALID'] },
    { name: 'attestation key', start: key, end: key + 64, codes: ['QE_REPORT_BINDING_INVALID'] },
    { name: 'QE report', start: rep, end: rep + 384, codes: ['QE_REPORT_SIGNATURE_INVALID'] },
    { name: 'QE report signature', start: repSig, end: repSig + 64, codes: ['QE_REPORT_SIGNATURE_INVALID'] },
    { name: 'QE auth data', start: auth, end: auth + qe.qeAuthData.length, codes: ['QE_REPORT_BINDING_INVALID'] },
  ];
}

/** Offsets of the signatureValue BIT STRING content (unused-bits byte included) of a DER cert/CRL. */
function signatureRange(der: Uint8Array): [number, number] {
  const sig = children(der, readNode(der, 0))[2]!;
  return [sig.contentStart, sig.end];
}

function expectCodes(fn: () => unknown, codes: readonly string[], ctx: string, parserOk = false): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CloisterError, `${ctx}: untyped ${String(e)}`);
    assert.ok(parserOk || e instanceof VerifyError, `${ctx}: want a VerifyError, got ${e.name} ${e.code}`);
    assert.ok(codes.includes(e.code), `${ctx}: got ${e.code} (${e.message}), want ${codes.join('|')}`);
    return;
  }
  assert.fail(`${ctx}: the flipped byte was accepted`);
}

/** Rewrites PEM block `index` of the quote's cert data with `der`, keeping the exact line layout (same length). */
function withPemBlock(quoteBytes: Uint8Array, index: number, mutateDer: (der: Uint8Array) => Uint8Array): Uint8Array {
  const text = Buffer.from(quoteBytes).toString('latin1');
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  let m: RegExpExecArray | null = null;
  for (let i = 0; i <= index; i++) m = re.exec(text);
  assert.ok(m !== null);
  const bodyStart = m.index + '-----BEGIN CERTIFICATE-----'.length;
  const body = m[1]!;
  const der = mutateDer(new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64')));
  const b64 = Buffer.from(der).toString('base64');
  let p = 0;
  let out = '';
  for (const ch of body) out += /\s/.test(ch) ? ch : b64[p++]!;
  assert.equal(p, b64.length);
  const res = quoteBytes.slice();
  res.set(Buffer.from(out, 'latin1'), bodyStart);
  return res;
}

function pemCertDers(q: DcapQuote, quoteBytes: Uint8Array): Uint8Array[] {
  void q;
  const text = Buffer.from(quoteBytes).toString('latin1');
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

function flipHexByte(hex: string, i: number): string {
  const b = fromHexStrict(hex)!;
  return toHex(flip(b, i));
}

describe('tamper: every byte of every signed region', { skip: SKIP_NO_VECTORS }, () => {
  const picks = ['sgx/dcap-qvl-sample', 'tdx/dcap-qvl-sample-v4'];
  for (const id of picks) {
    const c = dcapFullCases().find((x) => x.id === id);
    describe(id, { skip: c === undefined ? `${id} missing` : false }, () => {
      const l = loadCase(c!);
      const ctx = { now: l.now, requireCrls: true };
      const verifier = createDcapVerifier();
      const prepared = prepareCollateral(l.bundle);
      const verifyBytes = (bytes: Uint8Array) => verifier.verify(parseDcapQuote(bytes, { allowTrailingData: true }), prepared, ctx);

      it('the untampered quote verifies (the suite can fail)', () => {
        assert.equal(verifyBytes(l.quoteBytes).tee, c!.tee);
      });

      for (const r of quoteRegions(l)) {
        it(`quote ${r.name} [${r.start}, ${r.end}): ${r.end - r.start} flips -> ${r.codes.length > 3 ? 'parser codes' : r.codes.join('|')}`, () => {
          for (let i = r.start; i < r.end; i++) expectCodes(() => verifyBytes(flip(l.quoteBytes, i)), r.codes, `${r.name} byte ${i}`, r.codes === HEADER_STRUCTURE_CODES);
        });
      }

      it('signature bytes of each PCK chain certificate -> PCK_CHAIN_INVALID', () => {
        const ders = pemCertDers(l.quote, l.quoteBytes);
        assert.equal(ders.length, 3);
        ders.forEach((der, k) => {
          const [s, e] = signatureRange(der);
          for (let i = s; i < e; i++) {
            const bytes = withPemBlock(l.quoteBytes, k, (d) => flip(d, i));
            expectCodes(() => verifyBytes(bytes), ['PCK_CHAIN_INVALID'], `PCK chain cert #${k + 1} byte ${i}`);
          }
        });
      });

      for (const field of ['root_ca_crl', 'pck_crl'] as const) {
        it(`signature bytes of ${field} -> CRL_INVALID`, () => {
          const der = fromHexStrict(l.bundle[field]!)!;
          const [s, e] = signatureRange(der);
          for (let i = s; i < e; i++) {
            const bundle: CollateralBundle = { ...l.bundle, [field]: toHex(flip(der, i)) };
            expectCodes(() => createDcapVerifier().verify(l.quote, prepareCollateral(bundle), ctx), ['CRL_INVALID'], `${field} byte ${i}`);
          }
        });
      }

      for (const [field, code] of [
        ['tcb_info_signature', 'TCB_INFO_SIGNATURE_INVALID'],
        ['qe_identity_signature', 'QE_IDENTITY_SIGNATURE_INVALID'],
      ] as const) {
        it(`every byte of ${field} -> ${code}`, () => {
          for (let i = 0; i < 64; i++) {
            expectCodes(() => prepareCollateral({ ...l.bundle, [field]: flipHexByte(l.bundle[field], i) }), [code], `${field} byte ${i}`);
          }
        });
      }
    });
  }
});
