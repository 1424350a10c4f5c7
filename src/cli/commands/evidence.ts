import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { Command, Option } from 'commander';
import { describeDcapQuote, parseDcapQuote } from '../../evidence/dcap/index.js';
import { describeSnpReport, parseHclReport, parseSnpReport } from '../../evidence/snp/index.js';
import { splitPemOrDer } from '../../common/pem.js';
import {
  detectEvidence, exportJwks, generateTokenKey, issueToken, parseAcceptList, verifyEvidence, type Tee, type VerificationResult,
} from '../../verify/index.js';
import { EXIT, UsageError } from '../exit.js';
import { decodeEvidenceFile, parseInstant, readInputFile } from '../io.js';
import { renderTable } from '../table.js';
import { VERSION } from '../version.js';

interface VerifyFlags {
  tee?: Tee;
  collateral?: string;
  certs?: string[];
  at?: string;
  accept?: string;
  allowDebug?: boolean;
  allowMissingCrl?: boolean;
  trustRoot?: string[];
  json?: boolean;
  token?: boolean;
  tokenKey?: string;
}

export function registerEvidenceCommands(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const evidence = program.command('evidence').description('parse and verify attestation evidence (SGX/TDX DCAP quotes, SEV-SNP reports)');

  evidence
    .command('show')
    .description('print the decoded fields of a quote or report (no verification)')
    .argument('<file>', 'evidence file: raw bytes or hex text')
    .option('--json', 'print JSON instead of a table')
    .action((file: string, flags: { json?: boolean }) => run(async () => showEvidence(file, flags.json ?? false)));

  evidence
    .command('verify')
    .description('verify evidence fully: signatures, certificate chains, CRLs, TCB status, then policy')
    .argument('<file>', 'evidence file: raw bytes or hex text')
    .addOption(new Option('--tee <tee>', 'expected TEE (default: detected from the bytes)').choices(['sgx', 'tdx', 'snp']))
    .option('--collateral <bundle.json>', 'DCAP collateral bundle (see docs/evidence.md; fetch with `cloister collateral fetch`)')
    .option('--certs <files...>', 'SEV-SNP certificates: VCEK/VLEK, ASK/ASVK, ARK (PEM or DER, any order), optionally the AMD CRL')
    .option('--at <ISO-8601>', 'verify as of this time (default: now)')
    .option('--accept <statuses>', "accepted TCB statuses, comma separated, or 'any'", 'UpToDate,SWHardeningNeeded')
    .option('--allow-debug', 'accept debug enclaves / TDs / VMs (development only)')
    .option('--allow-missing-crl', 'accept DCAP collateral without CRLs (the result carries a warning)')
    .option('--trust-root <files...>', 'additionally trust this Intel root certificate (PEM/DER); the real Intel SGX Root CA is built in')
    .option('--json', 'print one JSON object')
    .option('--token', 'also print an EAR attestation-result token (JWT)')
    .option('--token-key <key.pem>', 'private key to sign the token (default: a fresh ES256 key, whose JWKS is printed)')
    .action((file: string, flags: VerifyFlags) => run(async () => verifyCommand(file, flags)));
}

async function showEvidence(file: string, json: boolean): Promise<number> {
  const bytes = decodeEvidenceFile(readInputFile(file, 'evidence file'));
  const kind = detectEvidence(bytes);
  let rows: Array<{ field: string; value: string | number | boolean }>;
  if (kind.format === 'dcap') rows = describeDcapQuote(parseDcapQuote(bytes));
  else if (kind.format === 'hcl') {
    const hcl = parseHclReport(bytes);
    rows = [{ field: 'wrapper', value: 'Azure HCL report' }, ...describeSnpReport(parseSnpReport(hcl.snpReportBytes))];
  } else rows = describeSnpReport(parseSnpReport(bytes));
  if (json) process.stdout.write(`${JSON.stringify({ tee: kind.tee, format: kind.format, fields: Object.fromEntries(rows.map((r) => [r.field, r.value])) })}\n`);
  else process.stdout.write(`${renderTable(rows.some((r) => r.field === 'tee') ? rows : [{ field: 'tee', value: kind.tee }, ...rows])}\n`);
  return EXIT.OK;
}

async function verifyCommand(file: string, f: VerifyFlags): Promise<number> {
  let accept;
  try {
    accept = parseAcceptList(f.accept ?? 'UpToDate,SWHardeningNeeded');
  } catch (e) {
    throw new UsageError('USAGE_ERROR', (e as Error).message);
  }
  const now = f.at === undefined ? new Date() : parseInstant(f.at);
  const bytes = decodeEvidenceFile(readInputFile(file, 'evidence file'));
  const collateral = f.collateral === undefined ? undefined : Buffer.from(readInputFile(f.collateral, 'collateral bundle')).toString('utf8');
  const certs = (f.certs ?? []).flatMap((p) => certificateBlobs(p));
  const trustRoots = (f.trustRoot ?? []).map(loadTrustRoot);
  const tokenKey = f.tokenKey === undefined ? undefined : loadKey(f.tokenKey);

  const result = await verifyEvidence(bytes, {
    ...(f.tee === undefined ? {} : { tee: f.tee }),
    ...(collateral === undefined ? {} : { collateral }),
    certs,
    now,
    accept,
    trustRoots,
    allowDebug: f.allowDebug ?? false,
    allowMissingCrl: f.allowMissingCrl ?? false,
  });

  let token: string | undefined;
  let jwks: unknown;
  if (f.token) {
    const key = tokenKey ?? generateTokenKey();
    token = await issueToken(result, key, { now, build: `cloister ${VERSION}` });
    if (tokenKey === undefined) jwks = await exportJwks(key);
  }
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ ...result, ...(token === undefined ? {} : { token }), ...(jwks === undefined ? {} : { jwks }) })}\n`);
  } else {
    process.stdout.write(`${humanResult(result)}\n`);
    if (token !== undefined) {
      process.stdout.write(`token ${token}\n`);
      if (jwks !== undefined) process.stdout.write(`jwks ${JSON.stringify(jwks)}\n`);
    }
  }
  return result.ok ? EXIT.OK : EXIT.REJECTED;
}

/** A --trust-root file must hold a certificate (PEM or DER); anything else is a usage error (exit 2). */
function loadTrustRoot(path: string): X509Certificate {
  const bytes = readInputFile(path, 'trust root');
  try {
    return new X509Certificate(Buffer.from(bytes));
  } catch (cause) {
    throw new UsageError('USAGE_ERROR', `--trust-root '${path}' is not a PEM/DER X.509 certificate`, { cause });
  }
}

function loadKey(path: string): KeyObject {
  try {
    return createPrivateKey(Buffer.from(readInputFile(path, 'token key')));
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    throw new UsageError('USAGE_ERROR', `--token-key '${path}' is not a PEM/DER private key`, { cause });
  }
}

function humanResult(r: VerificationResult): string {
  const lines: string[] = [];
  const tee = (r.tee ?? 'unknown').toUpperCase();
  if (r.ok) lines.push(`OK: ${tee} evidence verified, TCB status ${r.status}`);
  else lines.push(`REJECTED: ${tee} evidence: ${r.error.code}: ${r.error.message}`);
  if (r.status !== undefined && !r.ok) lines.push(`TCB status ${r.status}`);
  if (r.advisoryIds !== undefined && r.advisoryIds.length > 0) lines.push(`advisories ${r.advisoryIds.join(', ')}`);
  for (const w of r.warnings ?? []) lines.push(`warning: ${w}`);
  if (r.claims !== undefined) lines.push(renderTable(Object.entries(r.claims).map(([field, value]) => ({ field, value }))));
  return lines.join('\n');
}

/** A --certs file: PEM blocks, or one DER structure (a certificate or CRL starts with a SEQUENCE). */
function certificateBlobs(path: string): Uint8Array[] {
  const bytes = readInputFile(path, 'certificate file');
  const blobs = splitPemOrDer(bytes);
  const isPem = Buffer.from(bytes.subarray(0, 4096)).toString('latin1').includes('-----BEGIN ');
  if ((isPem && blobs.length === 0) || (!isPem && bytes[0] !== 0x30)) {
    throw new UsageError('USAGE_ERROR', `--certs '${path}' is not a PEM or DER certificate or CRL`);
  }
  return blobs;
}
