import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Random } from '../common/clock.js';
import { deviceOp, nodeDeviceFs, text, type DeviceFs } from './device_fs.js';
import { TeeError } from './errors.js';
import type { Evidence, EvidenceProvider } from './provider.js';
import { checkReportData } from './report_data.js';

/**
 * Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm in the kernel tree): mkdir an
 * entry under /sys/kernel/config/tsm/report, write 64 bytes to `inblob`, read `outblob` (and
 * `auxblob` when the provider emits one), remove the entry. `generation` counts writes to the
 * entry; the ABI document says to compare it before writing and after reading to detect a
 * concurrent writer. `provider` names the TSM: sev_guest (SEV-SNP report) or tdx_guest (TDX quote).
 */
export const TSM_ROOT = '/sys/kernel/config/tsm/report';
const HINT = 'needs Linux >= 6.7 with configfs mounted and a confidential VM (sev_guest / tdx_guest)';
const TEE_OF_PROVIDER: Readonly<Record<string, 'snp' | 'tdx'>> = { sev_guest: 'snp', tdx_guest: 'tdx' };

export function tsmProvider(o: { root?: string; fs?: DeviceFs; random?: Random } = {}): EvidenceProvider {
  const root = o.root ?? TSM_ROOT;
  const fs = o.fs ?? nodeDeviceFs;
  const random = o.random ?? { bytes: (n: number) => new Uint8Array(randomBytes(n)) };

  async function getEvidence(reportData: Uint8Array): Promise<Evidence> {
    checkReportData(reportData);
    // A fresh entry per request: concurrent requests (even from other processes) never share one.
    const entry = join(root, `cloister-${process.pid}-${Buffer.from(random.bytes(8)).toString('hex')}`);
    const attr = (name: string): string => join(entry, name);
    await deviceOp('configfs-tsm report entry', entry, () => fs.mkdir(entry), HINT);
    try {
      const provider = text(await deviceOp('configfs-tsm provider', attr('provider'), () => fs.readFile(attr('provider'))));
      const tee = TEE_OF_PROVIDER[provider];
      if (tee === undefined) {
        throw new TeeError('TSM_PROVIDER_UNKNOWN', `configfs-tsm provider is '${provider}', want sev_guest or tdx_guest`, { detail: { provider } });
      }
      const before = await readGeneration(fs, attr('generation'));
      await deviceOp('configfs-tsm inblob', attr('inblob'), () => fs.writeFile(attr('inblob'), reportData));
      const outblob = await deviceOp('configfs-tsm outblob', attr('outblob'), () => fs.readFile(attr('outblob')));
      const auxblob = (await fs.exists(attr('auxblob')))
        ? await deviceOp('configfs-tsm auxblob', attr('auxblob'), () => fs.readFile(attr('auxblob')))
        : undefined;
      const after = await readGeneration(fs, attr('generation'));
      // Exactly our one write in between; anything else means the outblob may answer another inblob.
      if (after !== before + 1) {
        throw new TeeError('TSM_GENERATION_RACE', `configfs-tsm generation went from ${before} to ${after}, want ${before + 1}: another writer used the entry`, {
          detail: { before, after },
        });
      }
      if (outblob.length === 0) throw new TeeError('TEE_EVIDENCE_INVALID', `configfs-tsm outblob of provider ${provider} is empty`);
      return auxblob === undefined || auxblob.length === 0 ? { tee, evidence: outblob } : { tee, evidence: outblob, certs: auxblob };
    } finally {
      // Best effort: a leftover entry holds no secret and does not affect later requests.
      await fs.rmdir(entry).catch(() => undefined);
    }
  }

  return { kind: 'tsm', getEvidence };
}

async function readGeneration(fs: DeviceFs, path: string): Promise<number> {
  const raw = text(await deviceOp('configfs-tsm generation', path, () => fs.readFile(path)));
  if (!/^\d+$/.test(raw)) throw new TeeError('TEE_DEVICE_IO', `configfs-tsm generation '${raw}' is not a number`, { detail: { path } });
  return Number(raw);
}
