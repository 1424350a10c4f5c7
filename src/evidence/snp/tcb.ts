import type { SnpProductName, SnpTcbParts } from './types.js';

/**
 * TCB_VERSION is a little-endian u64 whose byte layout depends on the product, so the raw
 * value is kept in the report and decoded only once the product is known (from the VCEK/VLEK).
 *
 * Milan/Genoa (AMD SEV-SNP ABI spec 56860, "TCB_VERSION" table): byte0 BOOT_LOADER, byte1 TEE,
 * bytes2-5 reserved, byte6 SNP, byte7 MICROCODE.
 * Turin (same spec, Turin layout; virtee/sev src/firmware/host/types/snp.rs `from_turin_bytes`):
 * byte0 FMC, byte1 BOOT_LOADER, byte2 TEE, byte3 SNP, bytes4-6 reserved, byte7 MICROCODE.
 */
const LAYOUTS = {
  legacy: { bootloader: 0, tee: 1, snp: 6, microcode: 7 },
  turin: { fmc: 0, bootloader: 1, tee: 2, snp: 3, microcode: 7 },
} as const;

function byteAt(raw: bigint, i: number): number {
  return Number((raw >> BigInt(8 * i)) & 0xffn);
}

/** Splits a raw TCB_VERSION into its SPL components for `product`. Reserved bytes are ignored here. */
export function decodeTcb(raw: bigint, product: SnpProductName): SnpTcbParts {
  if (product === 'Turin') {
    const l = LAYOUTS.turin;
    return { fmc: byteAt(raw, l.fmc), bootloader: byteAt(raw, l.bootloader), tee: byteAt(raw, l.tee), snp: byteAt(raw, l.snp), microcode: byteAt(raw, l.microcode) };
  }
  const l = LAYOUTS.legacy;
  return { bootloader: byteAt(raw, l.bootloader), tee: byteAt(raw, l.tee), snp: byteAt(raw, l.snp), microcode: byteAt(raw, l.microcode) };
}

/** The raw TCB_VERSION (reserved bytes zero) for SPL components; `fmc` is used for Turin only. */
export function encodeTcb(tcb: SnpTcbParts, product: SnpProductName): bigint {
  const put = (v: number, i: number): bigint => BigInt(v & 0xff) << BigInt(8 * i);
  if (product === 'Turin') {
    const l = LAYOUTS.turin;
    return put(tcb.fmc ?? 0, l.fmc) | put(tcb.bootloader, l.bootloader) | put(tcb.tee, l.tee) | put(tcb.snp, l.snp) | put(tcb.microcode, l.microcode);
  }
  const l = LAYOUTS.legacy;
  return put(tcb.bootloader, l.bootloader) | put(tcb.tee, l.tee) | put(tcb.snp, l.snp) | put(tcb.microcode, l.microcode);
}

/** `0x`-prefixed 16-digit lowercase hex of a u64, the spelling used in claims and tables. */
export function u64Hex(v: bigint): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}
