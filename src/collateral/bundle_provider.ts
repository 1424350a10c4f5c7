import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { fromHexStrict } from '../common/bytes.js';
import { pemBlocks } from '../common/pem.js';
import { CollateralError } from './errors.js';
import { crlItem, signedJsonItem } from './items.js';
import { BUNDLE_FIELDS, describeRequest, type CollateralBundle, type CollateralItem, type CollateralProvider, type CollateralRequest } from './types.js';

/**
 * Serves collateral from a bundle (DESIGN.md "Collateral bundle"): offline, no I/O. Each
 * request is answered only when the bundle's item is the one asked for (TEE and FMSPC of the
 * TCB info, TEE of the QE identity, CA of the PCK CRL); otherwise COLLATERAL_NOT_IN_BUNDLE,
 * so a bundle for one platform is never silently used for another.
 */
const chain = z.string().min(1);
/** CRL items may be null or absent (sources without CRLs); both read as null. */
const missingAsNull = z
  .string()
  .min(1)
  .nullable()
  .optional()
  .transform((v) => v ?? null);
const BundleSchema = z.object({
  pck_crl_issuer_chain: missingAsNull,
  root_ca_crl: missingAsNull,
  pck_crl: missingAsNull,
  tcb_info_issuer_chain: chain,
  tcb_info: z.string().min(2),
  tcb_info_signature: z.string().regex(/^[0-9a-fA-F]{128}$/, '64 bytes of hex'),
  qe_identity_issuer_chain: chain,
  qe_identity: z.string().min(2),
  qe_identity_signature: z.string().regex(/^[0-9a-fA-F]{128}$/, '64 bytes of hex'),
});

/** Validates a bundle (object or JSON text) at the edge. Unknown extra fields are ignored. */
export function parseBundle(input: unknown): CollateralBundle {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new CollateralError('COLLATERAL_BUNDLE_MALFORMED', 'collateral bundle is not JSON', { cause });
    }
  }
  const r = BundleSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CollateralError('COLLATERAL_BUNDLE_MALFORMED', `collateral bundle shape check failed: ${issues.join('; ')}`, { detail: { failures: issues } });
  }
  return r.data;
}

/** The bundle as JSON text with fields in canonical order (what `collateral fetch` writes). */
export function serializeBundle(b: CollateralBundle): string {
  return `${JSON.stringify(Object.fromEntries(BUNDLE_FIELDS.map((k) => [k, b[k]])), null, 2)}\n`;
}

/** CRL text from a bundle: hex DER, or PEM. */
function crlBytes(value: string, field: string): Uint8Array {
  if (value.includes('-----BEGIN')) return new TextEncoder().encode(value);
  const der = fromHexStrict(value);
  if (der === undefined) throw new CollateralError('COLLATERAL_BUNDLE_MALFORMED', `${field} is neither hex DER nor PEM`, { detail: { field } });
  return der;
}

function notInBundle(req: CollateralRequest, why: string): never {
  throw new CollateralError('COLLATERAL_NOT_IN_BUNDLE', `${describeRequest(req)} is not in the bundle: ${why}`, { detail: { kind: req.kind } });
}

/** Which PCK CA issued the bundle's PCK CRL, read from the issuer chain's first certificate. */
function pckCrlCa(issuerChainPem: string): 'processor' | 'platform' | undefined {
  const first = pemBlocks(issuerChainPem)[0];
  if (first === undefined) return undefined;
  try {
    const subject = new X509Certificate(first.pem).subject;
    if (/PCK Processor CA/i.test(subject)) return 'processor';
    if (/PCK Platform CA/i.test(subject)) return 'platform';
  } catch {
    // an unparsable chain is reported by verify/, which checks it; here it only routes
  }
  return undefined;
}

/** Items from a bundle that fail their format checks are the bundle's fault, not a service's. */
function asBundleError(e: unknown): never {
  if (e instanceof CollateralError && e.code === 'COLLATERAL_RESPONSE_MALFORMED') {
    throw new CollateralError('COLLATERAL_BUNDLE_MALFORMED', e.message.replace(/ from bundle$/, ' in the bundle'), { cause: e });
  }
  throw e;
}

export function bundleProvider(input: CollateralBundle | string): CollateralProvider {
  const b = parseBundle(input);
  return {
    async get(req: CollateralRequest): Promise<CollateralItem> {
      try {
        return serve(b, req);
      } catch (e) {
        return asBundleError(e);
      }
    },
  };
}

function serve(b: CollateralBundle, req: CollateralRequest): CollateralItem {
  switch (req.kind) {
    case 'tcbInfo': {
      const { item, parsed } = signedJsonItem('tcbInfo', b.tcb_info, b.tcb_info_signature, b.tcb_info_issuer_chain, 'bundle');
      const tee = parsed.id === 'TDX' ? 'tdx' : 'sgx';
      if (tee !== req.tee) notInBundle(req, `the bundle's TCB info is for ${tee.toUpperCase()}`);
      if (typeof parsed.fmspc !== 'string' || parsed.fmspc.toLowerCase() !== req.fmspc.toLowerCase()) {
        notInBundle(req, `the bundle's TCB info is for FMSPC ${String(parsed.fmspc).toLowerCase()}`);
      }
      return item;
    }
    case 'qeIdentity': {
      const { item, parsed } = signedJsonItem('qeIdentity', b.qe_identity, b.qe_identity_signature, b.qe_identity_issuer_chain, 'bundle');
      const tee = parsed.id === 'TD_QE' ? 'tdx' : 'sgx';
      if (parsed.id !== undefined && tee !== req.tee) notInBundle(req, `the bundle's identity is ${String(parsed.id)}`);
      return item;
    }
    case 'pckCrl': {
      if (b.pck_crl === null || b.pck_crl_issuer_chain === null) notInBundle(req, 'pck_crl is null');
      const ca = pckCrlCa(b.pck_crl_issuer_chain);
      if (ca !== undefined && ca !== req.ca) notInBundle(req, `the bundle's PCK CRL is from the ${ca} CA`);
      return crlItem('pckCrl', crlBytes(b.pck_crl, 'pck_crl'), 'bundle', b.pck_crl_issuer_chain);
    }
    case 'rootCaCrl':
      if (b.root_ca_crl === null) notInBundle(req, 'root_ca_crl is null');
      return crlItem('rootCaCrl', crlBytes(b.root_ca_crl, 'root_ca_crl'), 'bundle');
    default:
      return notInBundle(req, 'a DCAP collateral bundle holds no AMD certificates');
  }
}
