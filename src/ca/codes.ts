import type { CodeTable } from '../common/errors.js';

/** Stable codes of the certificate authority. Never rename; add new codes at the end. */
export const CA_CODES = {
  CA_CSR_INVALID: 'A CSR is not PEM/DER PKCS#10, fails its self-signature, or carries an unsupported or weak public key.',
  CA_KEY_UNSUPPORTED: 'A key type is not one of ecdsa-p256, ecdsa-p384, ed25519, rsa-2048, rsa-3072, rsa-4096 (CA keys: ECDSA only).',
  CA_LIFETIME_INVALID: 'A certificate lifetime or CRL window is not a positive finite number of milliseconds, or nextUpdate is not after now.',
  CA_NOT_VALID_AT_TIME: 'The issuing CA certificate is not yet valid or has expired at the given time.',
  CA_NAME_INVALID: 'A CA name, subject common name or distinguished name is empty, too long or not in the supported syntax.',
  CA_SAN_INVALID: 'A subject alternative name is not a DNS name, an IPv4/IPv6 address or an absolute URI.',
  CA_SERIAL_INVALID: 'A certificate serial number is not 1 to 20 bytes of lowercase hex.',
  CA_SNAPSHOT_INVALID: 'A CA snapshot is malformed, its keys do not match its certificates, or the intermediate is not signed by the root.',
} as const satisfies CodeTable;

export type CaCode = keyof typeof CA_CODES;
