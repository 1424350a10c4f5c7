import { readFileSync } from 'node:fs';
import type { CollateralBundle } from '../../../src/collateral/index.js';
import { readVector, readVectorText, vectorPath } from '../../support/vectors.js';
import type { Route } from './fake_server.js';

/**
 * Serves a vector's real collateral the way Intel PCS does: TCB info / QE identity bodies
 * {"tcbInfo"|"enclaveIdentity": ..., "signature": hex} with URL-encoded issuer chains in
 * headers, DER CRLs. Where the vector holds the PCS response files (*.pcs.json) they are
 * served byte for byte; otherwise (dcap-qvl collateral.json) the body is built around the
 * exact signed text.
 */
export interface PcsVector {
  readonly bundle: CollateralBundle;
  readonly tee: 'sgx' | 'tdx';
  readonly fmspc: string;
  readonly ca: 'processor' | 'platform';
  readonly routes: Record<string, Route>;
}

const chainHeader = (pem: string): string => encodeURIComponent(pem);

export function pcsVector(caseId: string, opts: { pccsHeaders?: boolean } = {}): PcsVector {
  const c = JSON.parse(readVectorText(caseId, 'case.json')) as {
    tee: 'sgx' | 'tdx';
    files: Record<string, string>;
    decoded: { pck: { fmspc: string; issuer_cn: string } };
  };
  const bundleFile = c.files.collateral_normalized ?? c.files.collateral!;
  const bundle = JSON.parse(readVectorText(caseId, bundleFile)) as CollateralBundle;
  const fmspc = c.decoded.pck.fmspc.toLowerCase();
  const ca = /Processor/.test(c.decoded.pck.issuer_cn) ? 'processor' : 'platform';
  const tcbBody = c.files.tcb_info?.endsWith('.pcs.json')
    ? readFileSync(vectorPath(caseId, c.files.tcb_info))
    : `{"tcbInfo":${bundle.tcb_info},"signature":"${bundle.tcb_info_signature}"}`;
  const qeBody = c.files.qe_identity?.endsWith('.pcs.json')
    ? readFileSync(vectorPath(caseId, c.files.qe_identity))
    : `{"enclaveIdentity":${bundle.qe_identity},"signature":"${bundle.qe_identity_signature}"}`;
  const tcbHeader = opts.pccsHeaders ? 'SGX-TCB-Info-Issuer-Chain' : 'TCB-Info-Issuer-Chain';
  const routes: Record<string, Route> = {
    [`/${c.tee}/certification/v4/tcb?fmspc=${fmspc}`]: { headers: { [tcbHeader]: chainHeader(bundle.tcb_info_issuer_chain), 'content-type': 'application/json' }, body: tcbBody },
    [`/${c.tee}/certification/v4/qe/identity`]: { headers: { 'SGX-Enclave-Identity-Issuer-Chain': chainHeader(bundle.qe_identity_issuer_chain) }, body: qeBody },
    [`/sgx/certification/v4/pckcrl?ca=${ca}&encoding=der`]: {
      headers: { 'SGX-PCK-CRL-Issuer-Chain': chainHeader(bundle.pck_crl_issuer_chain!) },
      body: new Uint8Array(Buffer.from(bundle.pck_crl!, 'hex')),
    },
    // Intel's certificates host serves DER; a PCCS serves the same CRL as hex text.
    '/IntelSGXRootCA.der': { body: new Uint8Array(Buffer.from(bundle.root_ca_crl!, 'hex')) },
    '/sgx/certification/v4/rootcacrl': { body: bundle.root_ca_crl! },
  };
  return { bundle, tee: c.tee, fmspc, ca, routes };
}

export { readVector };
