import { X509Certificate } from 'node:crypto';
import type { Store } from '../store/index.js';
import { CoordinatorError } from './codes.js';
import { KEY, readJson, type InstanceRecord } from './state.js';

export interface InstancePrincipal {
  readonly workload: string;
  readonly instanceId: string;
}

const URI_SAN = /URI:cloister:\/\/workload\/([^/,\s]+)\/([^/,\s]+)/;

/** Serial numbers as lowercase hex without leading zeros (X509Certificate prints uppercase). */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/**
 * Authenticates an activated instance by its TLS client certificate: issued by this
 * coordinator's intermediate (signature checked, not just the issuer name), valid now, naming
 * the instance in its URI SAN, and still the instance's CURRENT certificate (renewal and
 * deactivation make older ones useless at once, without waiting for CRLs).
 */
export async function authenticateInstance(
  peerDer: Uint8Array | undefined,
  o: { intermediatePem: string; now: Date; store: Pick<Store, 'get'> },
): Promise<InstancePrincipal> {
  const fail = (why: string): never => {
    throw new CoordinatorError('INSTANCE_NOT_AUTHENTICATED', `this request needs the instance's current certificate as TLS client certificate: ${why}`);
  };
  if (peerDer === undefined || peerDer.length === 0) return fail('none was presented');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(peerDer);
  } catch {
    return fail('it does not parse');
  }
  const intermediate = new X509Certificate(o.intermediatePem);
  if (!cert.checkIssued(intermediate) || !cert.verify(intermediate.publicKey)) return fail('it was not issued by this coordinator');
  const t = o.now.getTime();
  if (t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo)) return fail('it is expired or not yet valid');
  const m = URI_SAN.exec(cert.subjectAltName ?? '');
  if (m === null) return fail('it names no workload instance');
  const principal = { workload: m[1]!, instanceId: m[2]! };
  const inst = await readJson<InstanceRecord>(o.store, KEY.instance(principal.workload, principal.instanceId));
  if (inst === undefined) return fail(`instance ${principal.instanceId} of ${principal.workload} is not active`);
  if (normalizeSerial(inst.value.serial) !== normalizeSerial(cert.serialNumber)) return fail('it was replaced by a renewal or revoked');
  return principal;
}
