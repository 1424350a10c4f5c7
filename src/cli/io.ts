import { readFileSync } from 'node:fs';
import { UsageError } from './exit.js';

/** Reads a file for a CLI argument; unreadable files are usage errors (exit 2). */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError('INPUT_UNREADABLE', `cannot read ${what} '${path}' (${reason})`, { cause });
  }
}

/** Evidence files may be raw bytes or hex text (as some tools print quotes); hex is decoded. */
export function decodeEvidenceFile(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes.length > 64 * 1024 * 1024) return bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (text.length % 2 === 0 && /^(0x)?[0-9a-fA-F\s]+$/.test(text)) {
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
