import type { CodeTable } from '../common/errors.js';

/** Stable codes of recovery secret sharing and share encryption. Never rename; add new codes at the end. */
export const RECOVERY_CODES = {
  RECOVERY_PARAMS_INVALID: 'Secret sharing parameters are out of range (1 <= k <= n <= 255, secret 16-64 bytes) or a share-set description is malformed.',
  RECOVERY_SHARE_MALFORMED: 'A recovery share is not a well-formed v1 share (magic, version, lengths, index between 1 and n, threshold <= n).',
  RECOVERY_SHARE_FOREIGN: 'A recovery share belongs to another split (its set id differs): it is for another coordinator or an older data key.',
  RECOVERY_SHARE_INCONSISTENT: 'A recovery share has the right set id but a different threshold, share count or check value than the others.',
  RECOVERY_SHARE_DUPLICATE: 'A recovery share with this index was already accepted.',
  RECOVERY_SHARE_CORRUPT: 'A recovery share does not match the digest recorded for its index when the secret was split (modified or wrong share).',
  RECOVERY_SHARES_INSUFFICIENT: 'Fewer distinct recovery shares than the threshold were given.',
  RECOVERY_SECRET_CHECK_FAILED: 'The shares combine to a secret that does not match the check value: at least one share is wrong.',
  RECOVERY_SESSION_COMPLETE: 'The recovery session already reached its threshold; it accepts no more shares.',
  RECOVERY_KEY_UNSUPPORTED: 'A recovery key is not an RSA key of at least 2048 bits (OAEP) or an X25519 key.',
  RECOVERY_KEY_MISMATCH: 'An encrypted share is for another recovery key (recipient fingerprint or algorithm differs).',
  RECOVERY_ENVELOPE_MALFORMED: 'An encrypted share is not a well-formed v1 envelope (magic, version, algorithm, lengths).',
  RECOVERY_DECRYPT_FAILED: 'An encrypted share fails to decrypt or authenticate under the given private key (tampered or wrong key).',
} as const satisfies CodeTable;

export type RecoveryCode = keyof typeof RECOVERY_CODES;
