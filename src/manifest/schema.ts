import { z } from 'zod';
import { governanceManifestShape } from '../governance/index.js';
import { DEFAULT_ACCEPTED_STATUSES, TCB_STATUSES } from '../verify/types.js';
import {
  absolutePath, duration, envName, hexBytes, hexList, identifier, sans, subject, template, u16, u8, uniqueList, workloadName,
} from './fields.js';

/**
 * The manifest schema (zod v4). Every object is strict: an unknown key is an error, never
 * ignored, because a misspelt policy key (`mrenclav`) silently ignored would weaken policy.
 * Defaults are applied here, so the validated manifest (and therefore its hash) states the
 * effective policy: `debug: false`, accepted TCB statuses, secret scope, cert lifetime.
 * Cross-references (packages, secrets, workloads named elsewhere) are checked in crossref.ts.
 */

const TEES = ['sgx', 'snp', 'tdx', 'simulated'] as const;

const sgxPackage = z
  .strictObject({
    mrenclave: hexList(32, 'mrenclave').optional(),
    mrsigner: hexList(32, 'mrsigner').optional(),
    productId: u16.optional(),
    minSecurityVersion: u16.optional(),
    debug: z.boolean().default(false),
    acceptedTcbStatuses: uniqueList(z.enum(TCB_STATUSES as [string, ...string[]]), 'acceptedTcbStatuses').default([...DEFAULT_ACCEPTED_STATUSES]),
  })
  .superRefine((p, ctx) => {
    // Identity of an enclave: its exact code (mrenclave) or its signer + product (mrsigner +
    // productId). mrsigner alone would accept ANY enclave that signer ever built.
    if (p.mrenclave === undefined && p.mrsigner === undefined) {
      ctx.addIssue({ code: 'custom', message: 'an SGX package needs mrenclave, or mrsigner with productId' });
    }
    if (p.mrsigner !== undefined && p.productId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['productId'], message: 'productId is required with mrsigner (mrsigner alone accepts every enclave of that signer)' });
    }
  });

const NO_DEBUG = (tee: string) => ({ error: `debug ${tee} guests are never accepted: remove debug or set it to false` });

const snpPackage = z.strictObject({
  measurements: hexList(48, 'measurement'),
  hostData: hexList(32, 'hostData').optional(),
  minimumTcb: z.strictObject({ bootloader: u8, tee: u8, snp: u8, microcode: u8, fmc: u8.optional() }).optional(),
  products: uniqueList(z.enum(['Milan', 'Genoa', 'Turin']), 'products').optional(),
  vmpl: uniqueList(z.int().min(0).max(3), 'vmpl').optional(),
  debug: z.literal(false, NO_DEBUG('SEV-SNP')).default(false),
});

const tdxPackage = z.strictObject({
  mrtd: hexList(48, 'mrtd'),
  rtmr0: hexList(48, 'rtmr0').optional(),
  rtmr1: hexList(48, 'rtmr1').optional(),
  rtmr2: hexList(48, 'rtmr2').optional(),
  rtmr3: hexList(48, 'rtmr3').optional(),
  mrConfigId: hexList(48, 'mrConfigId').optional(),
  minimumTeeTcbSvn: hexBytes(16, 'minimumTeeTcbSvn').optional(),
  debug: z.literal(false, NO_DEBUG('TDX')).default(false),
});

/** Simulated TEE: the SHA-384 measurement of the program files (`cloister measure`). */
const simulatedPackage = z.strictObject({ measurements: hexList(48, 'measurement') });

const packageSchema = z
  .strictObject({ sgx: sgxPackage.optional(), snp: snpPackage.optional(), tdx: tdxPackage.optional(), simulated: simulatedPackage.optional() })
  .superRefine((p, ctx) => {
    const present = TEES.filter((t) => p[t] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a package has exactly one TEE (${TEES.join(', ')}), got ${present.length === 0 ? 'none' : present.join(' and ')}`,
      });
    }
  });

const workloadSchema = z.strictObject({
  package: z.string({ error: 'package must name a declared package' }),
  maxActivations: z.int().min(1).optional(),
  certificate: z.strictObject({ sans: sans.prefault({}), lifetime: duration.optional() }).optional(),
  files: z.record(absolutePath, template).default({}),
  env: z.record(envName, template).default({}),
  argv: z.array(template).default([]),
  /**
   * Protected volumes (docs/protected-volumes.md) whose latest version the coordinator keeps for
   * this workload's instances: the rollback protection. Optional and without a default, so
   * manifests without volumes keep their hash.
   */
  protectedVolumes: uniqueList(identifier('protected volume'), 'protectedVolumes').optional(),
  /**
   * SGX enclave page cache the workload's pods request (Kubernetes byte quantity such as '512Mi'):
   * the admission webhook sets the device plugin's resource from it (a pod annotation overrides it)
   * and the coordinator exports it as a metric. Optional and without a default (hash-stable).
   */
  epcSize: z
    .string()
    .regex(/^[1-9][0-9]{0,15}(Ki|Mi|Gi|Ti|k|M|G|T)?$/, { error: "epcSize is a byte quantity such as '512Mi', '1Gi' or '67108864'" })
    .optional(),
});

const scope = z.enum(['shared', 'per-instance']).default('shared');

const secretSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('symmetric-key'),
      size: z.int().min(128).max(4096).multipleOf(8, { error: 'size is in bits and must be a multiple of 8' }),
      scope,
    }),
    z.strictObject({
      type: z.literal('certificate'),
      keyType: z.enum(['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-2048', 'rsa-3072', 'rsa-4096']),
      validity: duration,
      sans: sans.optional(),
      ca: z.boolean().default(false),
      subject: subject.optional(),
      scope,
    }),
    z.strictObject({ type: z.literal('random'), size: z.int().min(1).max(65536), scope }),
    z.strictObject({ type: z.literal('user'), maxSize: z.int().min(1).max(1 << 20).default(65536), scope }),
  ],
  { error: "a secret needs type: 'symmetric-key', 'certificate', 'random' or 'user'" },
);

const connectionSchema = z.strictObject({ from: z.string(), to: z.string() });

const configSchema = z.strictObject({
  /** Default lifetime of workload certificates (a workload's certificate.lifetime overrides it). */
  certLifetime: duration.default('24h'),
  /**
   * What an applied manifest update does to the CA: 'intermediate' (absent = this) issues a new
   * intermediate under the same root, 'none' keeps it. No default, so older manifests hash as before.
   */
  caRollOnUpdate: z.enum(['intermediate', 'none']).optional(),
});

export const manifestSchema = z.strictObject({
  packages: z.record(identifier('package'), packageSchema),
  workloads: z.record(workloadName, workloadSchema),
  secrets: z.record(identifier('secret'), secretSchema).default({}),
  connections: z.array(connectionSchema).default([]),
  config: configSchema.prefault({}),
  // users, roles, approvals, recovery (docs/governance.md); all optional, no defaults
  ...governanceManifestShape,
});

/** A validated manifest (defaults applied, hex lowercase). Treat as immutable. */
export type Manifest = z.output<typeof manifestSchema>;
export type ManifestPackage = z.output<typeof packageSchema>;
export type ManifestWorkload = z.output<typeof workloadSchema>;
export type ManifestSecret = z.output<typeof secretSchema>;
export type SecretType = ManifestSecret['type'];
