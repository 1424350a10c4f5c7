import { z } from 'zod';
import { VerifyError } from '../errors.js';

/**
 * The collateral bundle of DESIGN.md: the field names of Intel QVL's collateral struct and
 * dcap-qvl's QuoteCollateralV3 JSON (dcap-qvl src/collateral.rs). PEM issuer chains, CRLs as
 * hex DER or PEM, tcb_info / qe_identity as the exact signed JSON text, signatures as hex r||s.
 * `null` (or a missing field) marks a CRL item the source did not have.
 */
export interface CollateralBundle {
  readonly pck_crl_issuer_chain: string | null;
  readonly root_ca_crl: string | null;
  readonly pck_crl: string | null;
  readonly tcb_info_issuer_chain: string;
  readonly tcb_info: string;
  readonly tcb_info_signature: string;
  readonly qe_identity_issuer_chain: string;
  readonly qe_identity: string;
  readonly qe_identity_signature: string;
}

const optionalText = z.string().min(1).nullable().optional();
const requiredText = z.string().min(1).nullable().optional();

const BUNDLE_SCHEMA = z.object({
  pck_crl_issuer_chain: optionalText,
  root_ca_crl: optionalText,
  pck_crl: optionalText,
  tcb_info_issuer_chain: requiredText,
  tcb_info: requiredText,
  tcb_info_signature: requiredText,
  qe_identity_issuer_chain: requiredText,
  qe_identity: requiredText,
  qe_identity_signature: requiredText,
});

const REQUIRED = ['tcb_info_issuer_chain', 'tcb_info', 'tcb_info_signature', 'qe_identity_issuer_chain', 'qe_identity', 'qe_identity_signature'] as const;

/**
 * Validates a bundle (JSON text or parsed object). Wrong shapes are COLLATERAL_INVALID; a
 * missing TCB info / QE identity item is COLLATERAL_MISSING (CRLs may be absent: whether that
 * is acceptable is the verifier's `requireCrls` decision).
 */
export function parseCollateralBundle(input: string | unknown): CollateralBundle {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new VerifyError('COLLATERAL_INVALID', `collateral bundle: not JSON (${(cause as Error).message})`, { cause });
    }
  }
  const parsed = BUNDLE_SCHEMA.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new VerifyError('COLLATERAL_INVALID', `collateral bundle: ${first === undefined ? 'invalid' : `${first.path.join('.') || '(root)'}: ${first.message}`}`, {
      detail: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  const b = parsed.data;
  for (const k of REQUIRED) {
    if (b[k] === undefined || b[k] === null) throw new VerifyError('COLLATERAL_MISSING', `collateral bundle: required item ${k} is missing`, { detail: { field: k } });
  }
  return {
    pck_crl_issuer_chain: b.pck_crl_issuer_chain ?? null,
    root_ca_crl: b.root_ca_crl ?? null,
    pck_crl: b.pck_crl ?? null,
    tcb_info_issuer_chain: b.tcb_info_issuer_chain!,
    tcb_info: b.tcb_info!,
    tcb_info_signature: b.tcb_info_signature!,
    qe_identity_issuer_chain: b.qe_identity_issuer_chain!,
    qe_identity: b.qe_identity!,
    qe_identity_signature: b.qe_identity_signature!,
  };
}
