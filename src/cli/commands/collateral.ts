import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  AMD_PRODUCTS,
  describeRequest,
  fetchDcapCollateral,
  fetchSnpCollateral,
  kdsProvider,
  pccsRootCaCrlUrl,
  pcsProvider,
  routeProvider,
  serializeBundle,
  snpCollateralPem,
  withCache,
  type AmdProduct,
  type CollateralProvider,
  type CollateralRequest,
} from '../../collateral/index.js';
import { looksLikeDcapQuote } from '../../evidence/dcap/index.js';
import { looksLikeHclReport, looksLikeSnpReport, parseHclReport } from '../../evidence/snp/index.js';
import { EXIT, UsageError, runCommand } from '../exit.js';
import { decodeEvidenceFile, readInputFile } from '../io.js';

/**
 * `cloister collateral fetch <evidence> --out FILE`: fetches what the evidence needs to be
 * verified offline later (`cloister evidence verify --collateral/--certs`).
 *
 * - SGX/TDX quote: the collateral bundle JSON (TCB info, QE identity, PCK CRL, root CA CRL
 *   with their issuer chains) from Intel PCS (default) or a PCCS (--pccs).
 * - SEV-SNP report (or Azure HCL report): one PEM file from AMD KDS with the VCEK, ASK, ARK
 *   and the AMD CRL, for `evidence verify --certs FILE`. A VLEK-signed report gets the
 *   ASVK+ARK chain only: KDS gives VLEKs to cloud providers, not to verifiers.
 * Progress lines go to stderr; a failure is one line naming the URL and the reason (exit 1);
 * usage errors exit 2.
 */
interface FetchFlags {
  out: string;
  pccs?: string;
  pcs?: string;
  kds?: string;
  rootCaCrl?: string;
  cacheDir?: string;
  timeout: string;
  product?: AmdProduct;
}

type Runner = (fn: () => Promise<number>) => Promise<void>;

/** The wiring point: the only place this command reads the system clock. */
const systemClock = { now: (): Date => new Date() };

export function registerCollateralCommands(program: Command, run: Runner = runCommand): void {
  const collateral = program.command('collateral').description('fetch attestation collateral (Intel PCS/PCCS, AMD KDS) for offline verification');
  collateral
    .command('fetch')
    .description('fetch the collateral an SGX/TDX quote or SEV-SNP report needs; writes a bundle JSON (DCAP) or a PEM file (SNP)')
    .argument('<evidence>', 'evidence file: raw bytes or hex text')
    .requiredOption('--out <file>', 'where to write the bundle (DCAP: JSON) or certificates (SNP: PEM)')
    .addOption(new Option('--pccs <url>', 'PCCS base URL (also serves the root CA CRL)').conflicts('pcs'))
    .option('--pcs <url>', 'Intel PCS base URL (default https://api.trustedservices.intel.com)')
    .option('--root-ca-crl <url>', 'root CA CRL URL (default: Intel\'s, or the PCCS rootcacrl with --pccs)')
    .option('--kds <url>', 'AMD KDS base URL (default https://kdsintf.amd.com)')
    .option('--cache-dir <dir>', 'cache fetched collateral here until its nextUpdate/notAfter')
    .option('--timeout <ms>', 'give up on a request after this many milliseconds (retries included)', '30000')
    .addOption(new Option('--product <name>', 'AMD product line, for SNP reports that do not carry it (version 2)').choices(AMD_PRODUCTS))
    .action((evidence: string, flags: FetchFlags) => run(async () => fetchCommand(evidence, flags)));
}

function parseTimeout(text: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 1 || ms > 600_000) throw new UsageError('USAGE_ERROR', `--timeout '${text}' must be a whole number of milliseconds, 1-600000`);
  return ms;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function buildProvider(f: FetchFlags, timeoutMs: number): CollateralProvider {
  const onFetch = (req: CollateralRequest, url: string): void => progress(`fetching ${describeRequest(req)} from ${url}`);
  const http = { timeoutMs, clock: systemClock, onFetch };
  const rootCaCrlUrl = f.rootCaCrl ?? (f.pccs === undefined ? undefined : pccsRootCaCrlUrl(f.pccs));
  const intelBase = f.pccs ?? f.pcs;
  const intel = pcsProvider({ ...http, ...(intelBase === undefined ? {} : { baseUrl: intelBase }), ...(rootCaCrlUrl === undefined ? {} : { rootCaCrlUrl }) });
  const amd = kdsProvider({ ...http, ...(f.kds === undefined ? {} : { baseUrl: f.kds }) });
  const routed = routeProvider({ intel, amd });
  if (f.cacheDir === undefined) return routed;
  return withCache(routed, {
    dir: f.cacheDir,
    clock: systemClock,
    onHit: (req, item) => progress(`using cached ${describeRequest(req)}${item.validUntil === undefined ? '' : ` (valid until ${item.validUntil.toISOString()})`}`),
  });
}

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (cause) {
    throw new UsageError('INPUT_UNREADABLE', `cannot write --out '${path}' (${(cause as NodeJS.ErrnoException).code ?? 'unwritable'})`, { cause });
  }
}

async function fetchCommand(file: string, f: FetchFlags): Promise<number> {
  const timeoutMs = parseTimeout(f.timeout);
  const bytes = decodeEvidenceFile(readInputFile(file, 'evidence file'));
  const provider = buildProvider(f, timeoutMs);

  if (looksLikeDcapQuote(bytes)) {
    const bundle = await fetchDcapCollateral(bytes, provider);
    writeOut(f.out, serializeBundle(bundle));
    progress(`wrote DCAP collateral bundle to ${f.out}`);
    return EXIT.OK;
  }
  let report: Uint8Array | undefined;
  if (looksLikeHclReport(bytes)) report = parseHclReport(bytes).snpReportBytes;
  else if (looksLikeSnpReport(bytes)) report = bytes;
  if (report === undefined) {
    throw new UsageError('USAGE_ERROR', `'${file}' is neither a DCAP quote nor an SEV-SNP (or Azure HCL) report (${bytes.length} bytes)`);
  }
  const snp = await fetchSnpCollateral(report, provider, f.product === undefined ? {} : { product: f.product });
  writeOut(f.out, snpCollateralPem(snp));
  if (snp.signingKey === 'vlek') {
    progress(`wrote ${snp.product} ASVK+ARK chain to ${f.out}; the report is VLEK-signed: take the VLEK certificate from the host (extended report / auxblob)`);
  } else {
    progress(`wrote ${snp.product} VCEK, ASK, ARK and CRL to ${f.out}`);
  }
  return EXIT.OK;
}
