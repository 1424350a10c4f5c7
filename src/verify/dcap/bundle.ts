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

const FIELDS = ['pck_crl_issuer_chain', 'root_ca_crl', 'pck_crl', 'tcb_info_issuer_chain', 'tcb_info', 'tcb_info_signature', 'qe_identity_issuer_chain', 'qe_identity', 'qe_identity_signature'] as const;
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
  // Every field: absent, null, or a non-empty string (unknown fields are ignored).
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VerifyError('COLLATERAL_INVALID', `collateral bundle: (root): want an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const b = value as Partial<Record<(typeof FIELDS)[number], unknown>>;
  for (const k of FIELDS) {
    const v = b[k];
    if (v !== undefined && v !== null && (typeof v !== 'string' || v.length === 0)) {
      const why = typeof v === 'string' ? 'want a non-empty string' : `want a string or null, got ${Array.isArray(v) ? 'an array' : typeof v}`;
      throw new VerifyError('COLLATERAL_INVALID', `collateral bundle: ${k}: ${why}`, { detail: { issues: [`${k}: ${why}`] } });
    }
  }
  const t = b as Partial<Record<(typeof FIELDS)[number], string | null>>;
  for (const k of REQUIRED) {
    if (t[k] === undefined || t[k] === null) throw new VerifyError('COLLATERAL_MISSING', `collateral bundle: required item ${k} is missing`, { detail: { field: k } });
  }
  return {
    pck_crl_issuer_chain: t.pck_crl_issuer_chain ?? null,
    root_ca_crl: t.root_ca_crl ?? null,
    pck_crl: t.pck_crl ?? null,
    tcb_info_issuer_chain: t.tcb_info_issuer_chain!,
    tcb_info: t.tcb_info!,
    tcb_info_signature: t.tcb_info_signature!,
    qe_identity_issuer_chain: t.qe_identity_issuer_chain!,
    qe_identity: t.qe_identity!,
    qe_identity_signature: t.qe_identity_signature!,
  };
}
