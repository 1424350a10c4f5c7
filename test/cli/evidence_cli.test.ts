import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { verifyToken } from '../../src/verify/index.js';
import { jsonOf, runCli, type CliRun } from '../support/cli_run.js';
import { buildFakeDcap, pem } from '../support/fake_intel_pki.js';
import { CORPUS_DIR, SKIP_NO_CORPUS, SKIP_NO_VECTORS, vectorPath } from '../support/vectors.js';

/**
 * The `cloister evidence` CLI contract of issue 3, in-process through `main` (what
 * bin/cloister.js runs): the exact `--json` shapes, exit codes 0/1/2 and every flag.
 */
const SGX = { quote: vectorPath('sgx/dcap-qvl-sample', 'quote.bin'), collateral: vectorPath('sgx/dcap-qvl-sample', 'collateral.json'), at: '2025-07-19T10:01:17Z' };
const TDX = { quote: vectorPath('tdx/dcap-qvl-sample-v4', 'quote.bin'), collateral: vectorPath('tdx/dcap-qvl-sample-v4', 'collateral.json'), at: '2025-07-19T10:00:34Z' };
const TDX_NO_CRL = { quote: vectorPath('tdx/oasis-v4', 'quote.bin'), collateral: vectorPath('tdx/oasis-v4', 'collateral.normalized.json'), at: '2024-09-02T07:43:52Z' };
const SNP = { report: vectorPath('snp/virtee-milan', 'report.bin'), vcek: vectorPath('snp/virtee-milan', 'vcek.der'), chain: vectorPath('snp/virtee-milan', 'cert_chain_milan.pem'), at: '2023-04-04T19:23:43Z' };
const DEBUG_TD = { dir: join(CORPUS_DIR, 'tdx', 'trustee-quote4-debug-td'), at: '2023-06-18T09:42:58Z' };

const CLAIMS = {
  sgx: ['mrenclave', 'mrsigner', 'isvProdId', 'isvSvn', 'reportData', 'debug', 'fmspc'],
  tdx: ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3', 'mrConfigId', 'mrOwner', 'mrOwnerConfig', 'reportData', 'teeTcbSvn', 'debug', 'fmspc'],
  snp: ['measurement', 'hostData', 'reportData', 'chipId', 'reportedTcb', 'guestSvn', 'policy', 'vmpl', 'debug', 'familyId', 'imageId', 'signingKey', 'product'],
} as const;

const sorted = (o: object) => Object.keys(o).sort();

/** ok shape: {ok:true, tee, status, advisoryIds, claims} plus the `warnings` list the CRL relaxation needs. */
function assertOkShape(j: Record<string, unknown>, tee: keyof typeof CLAIMS): void {
  assert.deepEqual(sorted(j), ['advisoryIds', 'claims', 'ok', 'status', 'tee', 'warnings']);
  assert.equal(j['ok'], true);
  assert.equal(j['tee'], tee);
  assert.equal(typeof j['status'], 'string');
  assert.ok(Array.isArray(j['advisoryIds']));
  const claims = j['claims'] as Record<string, unknown>;
  assert.deepEqual(sorted(claims), [...CLAIMS[tee]].sort());
  for (const [k, v] of Object.entries(claims)) if (typeof v === 'string' && k !== 'signingKey' && k !== 'product') assert.match(v, /^(0x)?[0-9a-f]*$/, `${k} is lowercase hex`);
  if (tee === 'snp') {
    const tcb = sorted(claims['reportedTcb'] as object);
    assert.ok(['bootloader,microcode,snp,tee', 'bootloader,fmc,microcode,snp,tee'].includes(tcb.join(',')), tcb.join(','));
  }
}

/** rejected shape: {ok:false, tee, error:{code, message}} (error.detail optional). */
function assertRejectedShape(run: CliRun, tee: string | null, code: string): Record<string, unknown> {
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const j = jsonOf(run);
  assert.deepEqual(sorted(j), ['error', 'ok', 'tee']);
  assert.equal(j['ok'], false);
  assert.equal(j['tee'], tee);
  const e = j['error'] as Record<string, unknown>;
  assert.ok(sorted(e).every((k) => ['code', 'detail', 'message'].includes(k)) && typeof e['message'] === 'string', JSON.stringify(e));
  assert.equal(e['code'], code, String(e['message']));
  return j;
}

const tmp = mkdtempSync(join(tmpdir(), 'cloister-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('cloister evidence verify --json', { skip: SKIP_NO_VECTORS }, () => {
  it('ok: TDX (exit 0, exact shape and claim names)', async () => {
    const run = await runCli('evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--at', TDX.at, '--json');
    assert.equal(run.code, 0, run.stderr);
    const j = jsonOf(run);
    assertOkShape(j, 'tdx');
    assert.equal(j['status'], 'UpToDate');
    assert.deepEqual(j['warnings'], []);
  });

  it('status not accepted: ok false with status present (exit 1), then accepted with --accept any / a list', async () => {
    const run = await runCli('evidence', 'verify', SGX.quote, '--collateral', SGX.collateral, '--at', SGX.at, '--json');
    assert.equal(run.code, 1);
    const j = jsonOf(run);
    assert.deepEqual(sorted(j), ['advisoryIds', 'claims', 'error', 'ok', 'status', 'tee', 'warnings']);
    assert.equal(j['ok'], false);
    assert.equal(j['status'], 'ConfigurationAndSWHardeningNeeded');
    assert.equal((j['error'] as { code: string }).code, 'TCB_STATUS_NOT_ACCEPTED');
    assert.deepEqual(new Set(j['advisoryIds'] as string[]), new Set(['INTEL-SA-00289', 'INTEL-SA-00615']));

    const any = await runCli('evidence', 'verify', SGX.quote, '--collateral', SGX.collateral, '--at', SGX.at, '--accept', 'any', '--json');
    assert.equal(any.code, 0, any.stdout);
    assertOkShape(jsonOf(any), 'sgx');
    const list = await runCli('evidence', 'verify', SGX.quote, '--collateral', SGX.collateral, '--at', SGX.at, '--accept', 'UpToDate,ConfigurationAndSWHardeningNeeded', '--json');
    assert.equal(list.code, 0, list.stdout);
  });

  it('SNP: --certs in either order verifies (exit 0); a late --at is rejected with the typed shape', async () => {
    for (const certs of [[SNP.vcek, SNP.chain], [SNP.chain, SNP.vcek]]) {
      const run = await runCli('evidence', 'verify', SNP.report, '--certs', ...certs, '--at', SNP.at, '--json');
      assert.equal(run.code, 0, run.stdout);
      const j = jsonOf(run);
      assertOkShape(j, 'snp');
      assert.equal((j['claims'] as { signingKey: string }).signingKey, 'vcek');
    }
    assertRejectedShape(await runCli('evidence', 'verify', SNP.report, '--certs', SNP.vcek, SNP.chain, '--at', '2099-01-01T00:00:00Z', '--json'), 'snp', 'VEK_CERT_EXPIRED');
    assertRejectedShape(await runCli('evidence', 'verify', SNP.report, '--at', SNP.at, '--json'), 'snp', 'VEK_MISSING');
  });

  it('--tee: a matching TEE verifies, a mismatch is TEE_MISMATCH (exit 1), an unknown TEE is a usage error', async () => {
    assert.equal((await runCli('evidence', 'verify', TDX.quote, '--tee', 'tdx', '--collateral', TDX.collateral, '--at', TDX.at, '--json')).code, 0);
    assertRejectedShape(await runCli('evidence', 'verify', TDX.quote, '--tee', 'sgx', '--collateral', TDX.collateral, '--at', TDX.at, '--json'), 'tdx', 'TEE_MISMATCH');
    assertRejectedShape(await runCli('evidence', 'verify', SNP.report, '--tee', 'tdx', '--certs', SNP.vcek, '--at', SNP.at, '--json'), 'snp', 'TEE_MISMATCH');
    assert.equal((await runCli('evidence', 'verify', TDX.quote, '--tee', 'sev', '--json')).code, 2);
  });

  it('--allow-missing-crl: CRL_MISSING without it; with it ok and a warning (JSON and human output)', async () => {
    assertRejectedShape(await runCli('evidence', 'verify', TDX_NO_CRL.quote, '--collateral', TDX_NO_CRL.collateral, '--at', TDX_NO_CRL.at, '--json'), 'tdx', 'CRL_MISSING');
    const run = await runCli('evidence', 'verify', TDX_NO_CRL.quote, '--collateral', TDX_NO_CRL.collateral, '--at', TDX_NO_CRL.at, '--allow-missing-crl', '--json');
    assert.equal(run.code, 0, run.stdout);
    const j = jsonOf(run);
    assertOkShape(j, 'tdx');
    assert.ok((j['warnings'] as string[]).some((w) => /CRL/.test(w)), JSON.stringify(j['warnings']));
    const human = await runCli('evidence', 'verify', TDX_NO_CRL.quote, '--collateral', TDX_NO_CRL.collateral, '--at', TDX_NO_CRL.at, '--allow-missing-crl');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^OK: TDX/);
    assert.match(human.stdout, /warning: .*CRL/);
  });

  it('--allow-debug: the debug TD of the corpus is DEBUG_NOT_ALLOWED by default and accepted with the flag', { skip: SKIP_NO_CORPUS }, async () => {
    const args = ['evidence', 'verify', join(DEBUG_TD.dir, 'quote.bin'), '--collateral', join(DEBUG_TD.dir, 'collateral.normalized.json'), '--at', DEBUG_TD.at, '--json'];
    const strict = await runCli(...args);
    assert.equal(strict.code, 1);
    const j = jsonOf(strict);
    assert.equal((j['error'] as { code: string }).code, 'DEBUG_NOT_ALLOWED');
    assert.equal(j['status'], 'UpToDate');
    const allowed = await runCli(...args, '--allow-debug');
    assert.equal(allowed.code, 0, allowed.stdout);
    const k = jsonOf(allowed);
    assertOkShape(k, 'tdx');
    assert.equal((k['claims'] as { debug: boolean }).debug, true);
  });

  it('--trust-root: a quote under another root verifies only with that root given; the Intel root is always trusted', async () => {
    const fake = buildFakeDcap();
    const q = join(tmp, 'fake-quote.bin');
    const b = join(tmp, 'fake-bundle.json');
    const r = join(tmp, 'fake-root.pem');
    writeFileSync(q, fake.quoteBytes);
    writeFileSync(b, JSON.stringify(fake.bundle));
    writeFileSync(r, pem(new Uint8Array(fake.root.raw)));
    const at = fake.now.toISOString();
    const without = await runCli('evidence', 'verify', q, '--collateral', b, '--at', at, '--json');
    assert.equal(without.code, 1);
    assert.match((jsonOf(without)['error'] as { code: string }).code, /SIGNATURE_INVALID|CHAIN_INVALID|UNTRUSTED/);
    const withRoot = await runCli('evidence', 'verify', q, '--collateral', b, '--at', at, '--trust-root', r, '--json');
    assert.equal(withRoot.code, 0, withRoot.stdout);
    assertOkShape(jsonOf(withRoot), 'sgx');
    const intel = vectorPath('roots/intel', 'Intel_SGX_Root_CA.pem');
    assert.equal((await runCli('evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--at', TDX.at, '--trust-root', intel, '--json')).code, 0);
    // a trust root that is not a certificate is a usage error
    assert.equal((await runCli('evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--at', TDX.at, '--trust-root', TDX.collateral)).code, 2);
  });

  it('--token prints an EAR JWT that verifyToken accepts with the printed JWKS', async () => {
    const run = await runCli('evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--at', TDX.at, '--json', '--token');
    assert.equal(run.code, 0);
    const j = jsonOf(run);
    assert.equal(typeof j['token'], 'string');
    const claims = await verifyToken(j['token'] as string, j['jwks'] as JSONWebKeySet, { now: new Date(TDX.at) });
    assert.equal(claims.submods['tdx']!['ear.status'], 'affirming');
    // human output: `token <jwt>` and `jwks <json>` lines; a rejection gives a contraindicated token
    const human = await runCli('evidence', 'verify', SGX.quote, '--collateral', SGX.collateral, '--at', SGX.at, '--token');
    assert.equal(human.code, 1);
    const token = /^token (\S+)$/m.exec(human.stdout)?.[1];
    const jwks = /^jwks (.+)$/m.exec(human.stdout)?.[1];
    assert.ok(token !== undefined && jwks !== undefined, human.stdout);
    const rej = await verifyToken(token, JSON.parse(jwks) as JSONWebKeySet, { now: new Date(SGX.at) });
    assert.equal(rej.submods['sgx']!['ear.status'], 'contraindicated');
  });

  it('usage errors exit 2: unreadable file, bad --at, bad --accept, unknown flag, unreadable collateral', async () => {
    const cases: string[][] = [
      ['evidence', 'verify', join(tmp, 'missing.bin'), '--json'],
      ['evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--at', 'yesterday'],
      ['evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--at', '2025-13-45T99:00:00Z'],
      ['evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--accept', 'UpToDate,Fine'],
      ['evidence', 'verify', TDX.quote, '--collateral', TDX.collateral, '--no-such-flag'],
      ['evidence', 'verify', TDX.quote, '--collateral', join(tmp, 'missing.json')],
      ['evidence', 'verify', SNP.report, '--certs', join(tmp, 'missing.pem')],
      ['evidence', 'verify'],
      ['evidence', 'show', join(tmp, 'missing.bin')],
    ];
    for (const args of cases) {
      const run = await runCli(...args);
      assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}\n${run.stdout}${run.stderr}`);
      assert.equal(run.stdout.includes('"ok":true'), false);
    }
  });

  it('unrecognized bytes and a broken collateral bundle are rejections (exit 1) with typed codes', async () => {
    const junk = join(tmp, 'junk.bin');
    writeFileSync(junk, Buffer.from('not evidence at all'));
    assertRejectedShape(await runCli('evidence', 'verify', junk, '--json'), null, 'EVIDENCE_FORMAT_UNKNOWN');
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{"tcb_info": 1}');
    assertRejectedShape(await runCli('evidence', 'verify', TDX.quote, '--collateral', broken, '--at', TDX.at, '--json'), 'tdx', 'COLLATERAL_INVALID');
  });
});

describe('cloister evidence show', { skip: SKIP_NO_VECTORS }, () => {
  const files = [
    { tee: 'sgx', file: SGX.quote, field: /mrEnclave|mrenclave/i },
    { tee: 'tdx', file: vectorPath('tdx/dcap-qvl-tdx-quote-hex-parse-only', 'quote.hex'), field: /mrTd|mrtd/i },
    { tee: 'snp', file: SNP.report, field: /measurement/i },
    { tee: 'snp', file: vectorPath('snp/azure-genoa-hcl', 'hcl-report.bin'), field: /measurement/i },
  ];
  for (const f of files) {
    it(`${f.tee}: ${f.file.split('/').slice(-2).join('/')} as a table and as JSON`, async () => {
      const table = await runCli('evidence', 'show', f.file);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`^tee\\s+${f.tee}$`, 'm'));
      assert.match(table.stdout, f.field);
      const json = await runCli('evidence', 'show', f.file, '--json');
      assert.equal(json.code, 0);
      const j = jsonOf(json);
      assert.equal(j['tee'], f.tee);
      assert.ok(Object.keys(j['fields'] as object).some((k) => f.field.test(k)), JSON.stringify(Object.keys(j['fields'] as object)));
    });
  }
  it('a debug SGX enclave shows as debug; unrecognized bytes exit 1', async () => {
    const j = jsonOf(await runCli('evidence', 'show', vectorPath('sgx/trustee-occlum-parse-only', 'quote.bin'), '--json'));
    const fields = j['fields'] as Record<string, unknown>;
    const debugKey = Object.keys(fields).find((k) => /debug/i.test(k));
    assert.ok(debugKey !== undefined, JSON.stringify(Object.keys(fields)));
    assert.equal(fields[debugKey], true);
    const junk = join(tmp, 'junk-show.bin');
    writeFileSync(junk, Buffer.from([1, 2, 3]));
    assert.equal((await runCli('evidence', 'show', junk)).code, 1);
  });
});
