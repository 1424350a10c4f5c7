import { RecoveryError } from './errors.js';
import type { ShareSetInfo } from './shamir.js';

/** JSON form of a ShareSetInfo as kept in plaintext beside the encrypted shares. */
export function encodeShareSetInfo(info: ShareSetInfo): Uint8Array {
  checkShareSetInfo(info);
  const { setId, threshold, total, check, shareDigests } = info;
  return new TextEncoder().encode(JSON.stringify({ setId, threshold, total, check, shareDigests }));
}

export function decodeShareSetInfo(bytes: Uint8Array): ShareSetInfo {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new RecoveryError('RECOVERY_PARAMS_INVALID', 'share set info: not UTF-8 JSON');
  }
  checkShareSetInfo(v as ShareSetInfo);
  const i = v as ShareSetInfo;
  return Object.freeze({ setId: i.setId, threshold: i.threshold, total: i.total, check: i.check, shareDigests: Object.freeze([...i.shareDigests]) });
}

export function checkShareSetInfo(info: ShareSetInfo): void {
  const bad = (what: string): never => {
    throw new RecoveryError('RECOVERY_PARAMS_INVALID', `share set info: ${what}`);
  };
  if (typeof info !== 'object' || info === null) bad('not an object');
  if (Object.keys(info).sort().join(',') !== 'check,setId,shareDigests,threshold,total') bad('want exactly setId, threshold, total, check, shareDigests');
  if (typeof info.setId !== 'string' || !/^[0-9a-f]{32}$/.test(info.setId)) bad('setId: want 32 lowercase hex digits');
  if (typeof info.check !== 'string' || !/^[0-9a-f]{64}$/.test(info.check)) bad('check: want 64 lowercase hex digits');
  if (!Number.isInteger(info.total) || info.total < 1 || info.total > 255) bad(`total: got ${info.total}, want 1..255`);
  if (!Number.isInteger(info.threshold) || info.threshold < 1 || info.threshold > info.total) bad(`threshold: got ${info.threshold}, want 1..${info.total}`);
  if (!Array.isArray(info.shareDigests) || info.shareDigests.length !== info.total) bad(`shareDigests: want ${info.total} entries`);
  if (new Set(info.shareDigests).size !== info.shareDigests.length || !info.shareDigests.every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d))) {
    bad('shareDigests: want distinct 64-digit lowercase hex values');
  }
}
