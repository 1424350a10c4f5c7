import { floorToSecond, normalizeSerial, type Ca, type Revocation, type RevocationReason } from './ca_state.js';
import { CaError } from './errors.js';
import { KEY_SPECS, toPem } from './keys.js';
import { x509 } from './x509_provider.js';

/**
 * Revocation is recorded in the CA value (and so in the sealed CA snapshot); the CRL is built
 * from it on demand, signed by the intermediate, the issuer of every revocable certificate.
 */
const REASONS: Readonly<Record<RevocationReason, x509.X509CrlReason>> = {
  unspecified: x509.X509CrlReason.unspecified,
  keyCompromise: x509.X509CrlReason.keyCompromise,
  affiliationChanged: x509.X509CrlReason.affiliationChanged,
  superseded: x509.X509CrlReason.superseded,
  cessationOfOperation: x509.X509CrlReason.cessationOfOperation,
  privilegeWithdrawn: x509.X509CrlReason.privilegeWithdrawn,
};

/** A new Ca with `serial` revoked; revoking a serial twice keeps the first record. */
export function revoke(ca: Ca, serial: string, reason: RevocationReason, now: Date): Ca {
  const s = normalizeSerial(serial);
  if (!(reason in REASONS)) throw new CaError('CA_SERIAL_INVALID', `revocation reason: got '${String(reason)}', want one of ${Object.keys(REASONS).join(', ')}`);
  if (ca.revoked.some((r) => r.serial === s)) return ca;
  const entry: Revocation = { serial: s, reason, revokedAt: floorToSecond(now) };
  return { ...ca, revoked: [...ca.revoked, entry] };
}

export function isRevoked(ca: Ca, serial: string): boolean {
  const s = normalizeSerial(serial);
  return ca.revoked.some((r) => r.serial === s);
}

export interface Crl {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** cRLNumber: thisUpdate in seconds since 1970, increasing without stored state. */
  readonly number: bigint;
}

export async function buildCrl(ca: Ca, now: Date, nextUpdate: Date): Promise<Crl> {
  const thisUpdate = floorToSecond(now);
  const next = floorToSecond(nextUpdate);
  if (!(next.getTime() > thisUpdate.getTime())) {
    throw new CaError('CA_LIFETIME_INVALID', `CRL nextUpdate: got ${nextUpdate.toISOString()}, want after thisUpdate ${thisUpdate.toISOString()}`);
  }
  const inter = ca.intermediate.cert;
  if (thisUpdate < inter.notBefore || thisUpdate >= inter.notAfter) {
    throw new CaError('CA_NOT_VALID_AT_TIME', `CRL issuer ${inter.subject} is valid ${inter.notBefore.toISOString()}..${inter.notAfter.toISOString()}, not at ${now.toISOString()}`);
  }
  const number = BigInt(thisUpdate.getTime() / 1000);
  const crl = await x509.X509CrlGenerator.create({
    issuer: inter.subjectName,
    thisUpdate,
    nextUpdate: next,
    signingKey: ca.intermediate.privateKey,
    signingAlgorithm: KEY_SPECS[ca.keyType].signing,
    extensions: [new x509.AuthorityKeyIdentifierExtension(ca.intermediate.keyId), new x509.Extension('2.5.29.20', false, derInteger(number))],
    // RFC 5280 5.3.1: omit reasonCode rather than use 'unspecified'.
    entries: ca.revoked.map((r) => ({ serialNumber: r.serial, revocationDate: r.revokedAt, ...(r.reason === 'unspecified' ? {} : { reason: REASONS[r.reason] }) })),
  });
  const der = new Uint8Array(crl.rawData);
  return { der, pem: toPem('X509 CRL', der), thisUpdate, nextUpdate: next, number };
}

/** DER INTEGER of a non-negative bigint (minimal, with a 0x00 pad when the top bit is set). */
function derInteger(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return new Uint8Array([0x02, body.length, ...body]);
}
