import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createCoordinator } from '../src/coordinator/index.js';
import { createMetrics } from '../src/coordinator/metrics.js';
import { createWorkloadVerifier } from '../src/coordinator/workload_verifier.js';
import { createSealedStore, openFileStore } from '../src/store/index.js';
import { simulatedProvider, type SimulatedPlatform } from '../src/tee/index.js';

/**
 * Time to set a manifest of `workloads` workloads: `setManifest(text)` on a coordinator wired
 * as in production (sealed file store with fsync in a fresh directory), which parses (YAML/JSON
 * + zod), cross-checks, hashes (JCS + SHA-256), generates the shared secrets (a symmetric key,
 * random bytes and an ECDSA certificate issued by the intermediate) and commits the record
 * durably. The coordinator (and its CA) is created before the clock starts.
 */
export function bigManifest(workloads: number, measurement: string): string {
  const w: Record<string, unknown> = {};
  for (let i = 0; i < workloads; i++) {
    w[`svc-${i}`] = {
      package: i % 2 === 0 ? 'app' : 'db',
      ...(i % 10 === 0 ? { maxActivations: 3 } : {}),
      certificate: { sans: { dns: [`svc-${i}`, `svc-${i}.demo.svc.cluster.local`] } },
      files: { '/etc/app/tls.pem': '{{ self.cert }}', '/etc/app/ca.pem': '{{ self.ca }}', '/etc/app/data.key': '{{ secrets.dataKey.hex }}' },
      env: { INSTANCE: '{{ instance.id }}', SESSION: '{{ secrets.session.hex }}' },
      argv: ['--name', '{{ workload.name }}'],
    };
  }
  return JSON.stringify({
    packages: { app: { simulated: { measurements: [measurement] } }, db: { simulated: { measurements: [measurement, measurement === 'ab'.repeat(48) ? 'cd'.repeat(48) : 'ab'.repeat(48)] } } },
    workloads: w,
    secrets: {
      dataKey: { type: 'symmetric-key', size: 256 },
      salt: { type: 'random', size: 32 },
      internalCa: { type: 'certificate', keyType: 'ecdsa-p256', validity: '30d', ca: true },
      session: { type: 'random', size: 32, scope: 'per-instance' },
    },
  });
}

export async function timeSetManifest(o: { platform: SimulatedPlatform; measurement: string; workloads: number; runs: number }): Promise<{ ms: number[]; bytes: number }> {
  const text = bigManifest(o.workloads, o.measurement);
  const ms: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const dir = await mkdtemp(join(tmpdir(), 'cloister-bench-manifest-'));
    const file = await openFileStore(dir);
    try {
      const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
      const store = createSealedStore(file, { dataKey: random.bytes(32), random });
      const c = await createCoordinator({
        store,
        clock: { now: () => new Date() },
        random,
        verifier: createWorkloadVerifier({ simulation: true, trustedPlatformKeys: [o.platform.publicKey] }),
        evidence: simulatedProvider({ platform: o.platform, measurement: o.measurement }),
        log: pino({ level: 'silent' }),
        metrics: createMetrics({ defaultMetrics: false }),
        simulation: true,
        version: 'bench',
      });
      const t0 = performance.now();
      await c.setManifest(text);
      ms.push(performance.now() - t0);
    } finally {
      await file.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { ms: ms.sort((a, b) => a - b), bytes: Buffer.byteLength(text) };
}
