import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Random } from '../../src/common/clock.js';
import type { SealingKeyProvider } from '../../src/store/index.js';
import { loadOrCreatePlatform, simulatedProvider, type EvidenceProvider, type SimulatedPlatform } from '../../src/tee/index.js';
import { createWorkloadVerifier, type WorkloadVerifier } from '../../src/coordinator/workload_verifier.js';
import type { ReplicaMeasurement } from '../../src/coordinator/replica_measurement.js';

/** Shared setup of the replica tests: a simulated platform in a temp dir and real simulated evidence. */
export const random: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };
export const MEASUREMENT = 'ab'.repeat(48);
export const OTHER_MEASUREMENT = 'cd'.repeat(48);
export const expected: ReplicaMeasurement = { tee: 'simulated', measurement: MEASUREMENT };

export function clockAt(ms: number): { t: number; now(): Date } {
  const c = { t: ms, now: () => new Date(c.t) };
  return c;
}

export interface Fixture {
  readonly dir: string;
  readonly platform: SimulatedPlatform;
  readonly verifier: WorkloadVerifier;
  evidence(measurement?: string): EvidenceProvider;
  close(): Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-replica-'));
  const platform = await loadOrCreatePlatform(join(dir, 'platform'));
  return {
    dir,
    platform,
    verifier: createWorkloadVerifier({ simulation: true, trustedPlatformKeys: [platform.publicKey] }),
    evidence: (measurement = MEASUREMENT) => simulatedProvider({ platform, measurement }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A sealing provider with a fixed in-memory key (each call of this function: another "host"). */
export function memorySealing(): SealingKeyProvider {
  const key = new Uint8Array(randomBytes(32));
  return { kind: 'test', sealingKey: async () => key };
}

/** Captures log lines (object + message) so tests can check what is logged and what is not. */
export function captureLog(): { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }>; log: Pick<Logger, 'info' | 'warn'> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push({ level, obj, msg });
  return { lines, log: { info: at('info'), warn: at('warn') } as unknown as Pick<Logger, 'info' | 'warn'> };
}
