import { X509Certificate } from 'node:crypto';

/**
 * Path checks against ONE trusted root (the coordinator's attested root CA). Kept minimal on
 * purpose: the root is private to one coordinator, so there are no name constraints, policies
 * or revocation to evaluate here; what matters is that every link is signed by the next, that
 * issuers are CAs, and that every certificate is valid at `now`.
 */
const MAX_DEPTH = 5;

/** Why `leaf` does not chain to `root` through `intermediates` (any order), or undefined when it does. */
export function chainProblem(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  root: X509Certificate,
  now: Date,
): string | undefined {
  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const window = validityProblem(current, now);
    if (window !== undefined) return window;
    if (current.raw.equals(root.raw)) return undefined;
    if (signedBy(current, root)) return undefined;
    const next = intermediates.find((c) => c.ca && !c.raw.equals(current.raw) && signedBy(current, c));
    if (next === undefined) {
      return `'${subjectOf(current)}' is not signed by the root CA '${subjectOf(root)}' or by a CA certificate presented with it`;
    }
    current = next;
  }
  return `the chain is longer than ${MAX_DEPTH} certificates`;
}

/** The certificate is self-issued, self-signed, a CA, and valid at `now`; else why not. */
export function rootProblem(root: X509Certificate, now: Date): string | undefined {
  if (!root.ca) return `'${subjectOf(root)}' is not a CA certificate (basicConstraints cA is not true)`;
  if (!signedBy(root, root)) return `'${subjectOf(root)}' is not self-signed`;
  return validityProblem(root, now);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function validityProblem(c: X509Certificate, now: Date): string | undefined {
  const from = new Date(c.validFrom);
  const to = new Date(c.validTo);
  if (now < from) return `'${subjectOf(c)}' is not valid before ${from.toISOString()} (now ${now.toISOString()})`;
  if (now > to) return `'${subjectOf(c)}' expired at ${to.toISOString()} (now ${now.toISOString()})`;
  return undefined;
}

function subjectOf(c: X509Certificate): string {
  return c.subject.replace(/\n/g, ', ');
}

/** Parses exactly one PEM/DER certificate; undefined when it is not one. */
export function parseCertificate(input: string | Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
  } catch {
    return undefined;
  }
}

/** DER SubjectPublicKeyInfo of a certificate's key (what bindings commit to). */
export function spkiOf(c: X509Certificate): Uint8Array {
  return new Uint8Array(c.publicKey.export({ type: 'spki', format: 'der' }));
}
