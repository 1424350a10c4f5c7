import { toHex } from '../common/bytes.js';
import { CollateralError } from './errors.js';
import { getAll } from './parallel.js';
import type { CollateralBundle, CollateralItem, CollateralProvider, DcapTee, PckCa } from './types.js';

/** What locates a platform's DCAP collateral: its TEE, FMSPC (hex) and PCK issuing CA. */
export interface DcapPlatform {
  readonly tee: DcapTee;
  readonly fmspc: string;
  readonly ca: PckCa;
}

function required(item: CollateralItem, field: 'text' | 'signature' | 'issuerChainPem'): string {
  const v = item[field];
  if (v === undefined) {
    throw new CollateralError('COLLATERAL_RESPONSE_MALFORMED', `${item.kind} from ${item.source} lacks its ${field}`, { detail: { url: item.source } });
  }
  return v;
}

/** The four DCAP items in the bundle shape (CRLs as hex DER; signed JSON texts exact). */
export function assembleBundle(items: { tcbInfo: CollateralItem; qeIdentity: CollateralItem; pckCrl: CollateralItem; rootCaCrl: CollateralItem }): CollateralBundle {
  const { tcbInfo, qeIdentity, pckCrl, rootCaCrl } = items;
  return {
    pck_crl_issuer_chain: required(pckCrl, 'issuerChainPem'),
    root_ca_crl: toHex(rootCaCrl.bytes),
    pck_crl: toHex(pckCrl.bytes),
    tcb_info_issuer_chain: required(tcbInfo, 'issuerChainPem'),
    tcb_info: required(tcbInfo, 'text'),
    tcb_info_signature: required(tcbInfo, 'signature'),
    qe_identity_issuer_chain: required(qeIdentity, 'issuerChainPem'),
    qe_identity: required(qeIdentity, 'text'),
    qe_identity_signature: required(qeIdentity, 'signature'),
  };
}

/** Fetches TCB info, QE identity, PCK CRL and root CA CRL for a platform (in parallel). */
export async function gatherDcapCollateral(provider: CollateralProvider, p: DcapPlatform, signal?: AbortSignal): Promise<CollateralBundle> {
  const [tcbInfo, qeIdentity, pckCrl, rootCaCrl] = (await getAll(
    provider,
    [{ kind: 'tcbInfo', tee: p.tee, fmspc: p.fmspc }, { kind: 'qeIdentity', tee: p.tee }, { kind: 'pckCrl', ca: p.ca }, { kind: 'rootCaCrl' }],
    signal,
  )) as [CollateralItem, CollateralItem, CollateralItem, CollateralItem];
  return assembleBundle({ tcbInfo, qeIdentity, pckCrl, rootCaCrl });
}
