import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ProtectError } from './errors.js';

/** AES-256-GCM with a 96-bit nonce and a 128-bit tag appended to the ciphertext (NIST SP 800-38D). */
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export function gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** Decrypts ciphertext||tag; any mismatch of key, nonce, AAD, bytes or length is VOLUME_TAMPERED. */
export function gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, what: string): Uint8Array {
  if (sealed.byteLength < TAG_BYTES) {
    throw new ProtectError('VOLUME_TAMPERED', `${what}: sealed body is ${sealed.byteLength} bytes, want at least ${TAG_BYTES}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
  try {
    const out = Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES)), decipher.final()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (cause) {
    throw new ProtectError('VOLUME_TAMPERED', `${what}: AES-256-GCM authentication failed (modified, truncated, or bound to another path/version)`, { cause });
  }
}
