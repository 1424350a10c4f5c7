import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './exit.js';

/** Inputs are evidence, certificates, bundles and manifests: far below this. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a file for a CLI argument. Only regular files up to MAX_INPUT_BYTES: a device
 * (/dev/zero) or a FIFO would otherwise exhaust memory or hang. Unreadable files are usage
 * errors (exit 2).
 */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError('INPUT_UNREADABLE', `cannot read ${what} '${path}': not a regular file`);
    if (st.size > MAX_INPUT_BYTES) throw new UsageError('INPUT_UNREADABLE', `cannot read ${what} '${path}': ${st.size} bytes, more than the ${MAX_INPUT_BYTES}-byte limit`);
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError('INPUT_UNREADABLE', `cannot read ${what} '${path}' (${reason})`, { cause });
  }
}

/** Evidence files may be raw bytes or hex text (as some tools print quotes); hex is decoded. */
export function decodeEvidenceFile(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes.length > 64 * 1024 * 1024) return bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (/^(0x)?[0-9a-fA-F\s]+$/.test(text)) {
    const hex = text.replace(/^0x/, '').replace(/\s+/g, '');
    if (hex.length % 2 === 0) return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  return bytes;
}

export function parseInstant(text: string): Date {
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) {
    throw new UsageError('USAGE_ERROR', `--at '${text}' is not an ISO-8601 time (e.g. 2025-07-19T10:00:00Z)`);
  }
  return d;
}
