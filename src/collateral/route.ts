import type { CollateralProvider, CollateralRequest } from './types.js';

/** Sends Intel requests to one provider and AMD requests to another (the CLI's PCS + KDS pair). */
export function routeProvider(o: { intel: CollateralProvider; amd: CollateralProvider }): CollateralProvider {
  const isAmd = (req: CollateralRequest): boolean => req.kind === 'amdVek' || req.kind === 'amdCertChain' || req.kind === 'amdCrl';
  return {
    get: (req, signal) => (isAmd(req) ? o.amd : o.intel).get(req, signal),
  };
}
