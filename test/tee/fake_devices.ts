import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { nodeDeviceFs, type DeviceFs } from '../../src/tee/index.js';

/**
 * Fake kernels behind real temp directories. configfs and Gramine's pseudo-files react to
 * writes (a plain directory does not), so the fakes wrap the real file operations with the
 * side effects the kernel / Gramine would have.
 */

/** A fake SEV-SNP report (1184 bytes, report_data at 0x50) or TDX quote (v4, report_data at 568). */
export function fakeOutblob(provider: string, inblob: Uint8Array): Uint8Array {
  const out = new Uint8Array(provider === 'tdx_guest' ? 1020 : 1184);
  if (provider === 'tdx_guest') {
    out.set([4, 0, 2, 0, 0x81]);
    out.set(inblob, 568);
  } else {
    out.set([3, 0, 0, 0]);
    out.set(inblob, 0x50);
  }
  return out;
}

export interface FakeTsmOptions {
  provider?: string;
  /** do not create this attribute on mkdir (a kernel without it) */
  omit?: string;
  auxblob?: Uint8Array;
  /** runs just before outblob is read (a racing writer goes here) */
  beforeOutblob?: (entry: string, fs: DeviceFs) => Promise<void>;
}

/** configfs-tsm: mkdir creates the attributes; each inblob write bumps generation and regenerates outblob. */
export function fakeTsm(root: string, o: FakeTsmOptions = {}): DeviceFs & { entriesCreated: string[] } {
  const provider = o.provider ?? 'sev_guest';
  const entriesCreated: string[] = [];
  const fs: DeviceFs & { entriesCreated: string[] } = {
    entriesCreated,
    async mkdir(p) {
      await nodeDeviceFs.mkdir(p);
      entriesCreated.push(p);
      const attrs: Record<string, string | Uint8Array> = { provider: `${provider}\n`, generation: '0\n', outblob: new Uint8Array(0) };
      if (o.auxblob !== undefined) attrs.auxblob = o.auxblob;
      for (const [name, v] of Object.entries(attrs)) if (name !== o.omit) writeFileSync(`${p}/${name}`, v);
    },
    async writeFile(p, d) {
      await nodeDeviceFs.writeFile(p, d);
      if (basename(p) === 'inblob') {
        const gen = Number(readFileSync(`${dirname(p)}/generation`, 'utf8'));
        writeFileSync(`${dirname(p)}/generation`, `${gen + 1}\n`);
        writeFileSync(`${dirname(p)}/outblob`, fakeOutblob(provider, d));
      }
    },
    async readFile(p) {
      if (basename(p) === 'outblob') await o.beforeOutblob?.(dirname(p), fs);
      return nodeDeviceFs.readFile(p);
    },
    // configfs removes an entry's attributes with it
    async rmdir(p) {
      if (!existsSync(p)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      rmSync(p, { recursive: true });
    },
    exists: nodeDeviceFs.exists,
  };
  mkdirSync(root, { recursive: true });
  return fs;
}

/** Gramine's /dev/attestation: writing user_report_data makes `quote` a DCAP v3 quote over it. */
export function fakeGramine(root: string, o: { attestationType?: string; quoteVersion?: number } = {}): DeviceFs {
  mkdirSync(root, { recursive: true });
  writeFileSync(`${root}/attestation_type`, `${o.attestationType ?? 'dcap'}\n`);
  return {
    ...nodeDeviceFs,
    async writeFile(p, d) {
      await nodeDeviceFs.writeFile(p, d);
      if (basename(p) === 'user_report_data') {
        const v = o.quoteVersion ?? 3;
        const quote = new Uint8Array(1000);
        quote.set([v, 0, 2, 0]);
        quote.set(d, v === 5 ? 374 : 368);
        writeFileSync(`${root}/quote`, quote);
      }
    },
  };
}
