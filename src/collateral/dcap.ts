import { pemBlocks } from '../common/pem.js';
import { parseDcapQuote, pckChainPem, type DcapQuote } from '../evidence/dcap/index.js';
import { parsePckExtensions } from '../verify/dcap/index.js';
import { CollateralError } from './errors.js';
import { gatherDcapCollateral } from './gather.js';
import type { CollateralBundle, CollateralProvider } from './types.js';

/**
 * Gathers the DCAP collateral a quote needs into one bundle (DESIGN.md "Collateral bundle"):
 * the PCK leaf in the quote names the FMSPC (TCB info to fetch) and its issuing CA (which
 * PCK CRL); the quote's TEE picks the sgx or tdx TCB info and QE identity. Verification of
 * everything fetched happens later in verify/, which does no I/O.
 */
export interface FetchDcapOptions {
  readonly signal?: AbortSignal;
}

/**
 * Bytes after the signature data are accepted here: they are unauthenticated and irrelevant
 * to locating collateral (only the PCK leaf is read), and some real TDX quotes carry them
 * (go-tdx-guest testdata). Whether such a quote is acceptable is verify/'s decision.
 */
function quoteOf(input: Uint8Array | DcapQuote): DcapQuote {
  return input instanceof Uint8Array ? parseDcapQuote(input, { allowTrailingData: true }) : input;
}

/** FMSPC (lowercase hex) and PCK CA of the quote's PCK leaf certificate. */
export function pckFacts(quote: DcapQuote): { fmspc: string; ca: 'processor' | 'platform' } {
  const chain = pckChainPem(quote);
  if (chain === undefined) {
    throw new CollateralError('COLLATERAL_QUOTE_UNSUPPORTED', 'the quote carries no PCK certificate chain (certification data type 5), so its FMSPC is unknown', {
      detail: { version: quote.header.version },
    });
  }
  const leaf = pemBlocks(Buffer.from(chain).toString('latin1')).find((b) => b.label === 'CERTIFICATE');
  if (leaf === undefined) {
    throw new CollateralError('COLLATERAL_QUOTE_UNSUPPORTED', 'the quote\'s PCK certificate chain holds no PEM certificate');
  }
  const ext = parsePckExtensions(leaf.der);
  return { fmspc: ext.fmspc.toLowerCase(), ca: ext.caType };
}

export async function fetchDcapCollateral(input: Uint8Array | DcapQuote, provider: CollateralProvider, o: FetchDcapOptions = {}): Promise<CollateralBundle> {
  const quote = quoteOf(input);
  return gatherDcapCollateral(provider, { tee: quote.body.tee, ...pckFacts(quote) }, o.signal);
}
