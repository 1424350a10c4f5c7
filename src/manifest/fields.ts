import { isIP } from 'node:net';
import { z } from 'zod';
import { tryDurationMs } from './duration.js';
import { parseTemplate } from './template.js';
import { ManifestError } from './errors.js';

/**
 * Field-level schemas shared by the manifest schema: names, hex values, durations, paths,
 * templates. Each error message says what is wrong and what is wanted, because it is shown to
 * the manifest author next to the exact path.
 */

const gotKind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** A hex string of exactly `bytes` bytes; normalized to lowercase (the one spelling of bytes). */
export function hexBytes(bytes: number, what: string) {
  return z
    .string({
      error: (iss) =>
        `${what} must be a hex string of ${bytes} bytes, got ${gotKind(iss.input)}${typeof iss.input === 'number' ? ' (quote hex values in YAML)' : ''}`,
    })
    .refine((s) => s.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(s), {
      error: (iss) => `${what} must be ${bytes * 2} hex digits (${bytes} bytes), got ${describeHex(String(iss.input))}`,
    })
    .transform((s) => s.toLowerCase());
}

function describeHex(s: string): string {
  return /^[0-9a-fA-F]*$/.test(s) ? `${s.length} digits` : `'${s.length > 24 ? `${s.slice(0, 24)}...` : s}' (not hex)`;
}

/** A non-empty list without duplicates: several allowed values support rolling upgrades. */
export function uniqueList<T extends z.ZodType>(item: T, what: string) {
  return z
    .array(item, { error: `${what} must be a list` })
    .min(1, { error: `${what} must list at least one value` })
    .superRefine((list, ctx) => {
      const seen = new Map<string, number>();
      list.forEach((v, i) => {
        const key = JSON.stringify(v);
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate of entry ${first}` });
        else seen.set(key, i);
      });
    });
}

export const hexList = (bytes: number, what: string) => uniqueList(hexBytes(bytes, what), what);

export const u8 = z.int().min(0).max(255);
export const u16 = z.int().min(0).max(0xffff);

export const duration = z.string({ error: "a duration is a string like '24h', '90m' or '7d'" }).refine((s) => tryDurationMs(s) !== undefined, {
  error: (iss) => `'${String(iss.input)}' is not a duration: want whole numbers with units d, h, m, s in that order (e.g. '24h', '7d', '1h30m')`,
});

/** Workload names end up in certificate SANs and Kubernetes objects: DNS labels. */
export const workloadName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: 'a workload name must be a DNS label: a-z, 0-9 and -, at most 63 characters, no leading or trailing -' });

/** Package and secret names: referenced from templates (secrets.NAME.hex), so no dots. */
export const identifier = (what: string) =>
  z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, { error: `a ${what} name starts with a letter and has at most 63 letters, digits, _ or -` });

export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name has letters, digits and _ and does not start with a digit' });

/** An absolute, normalized path: no `.`/`..` segments, no `//`, no trailing `/`, no NUL. */
export const absolutePath = z.string().superRefine((p, ctx) => {
  const why =
    !p.startsWith('/') ? 'must be absolute (start with /)'
    : p.length > 4096 ? 'is longer than 4096 characters'
    : p.includes('\0') ? 'contains a NUL byte'
    : p === '/' || p.endsWith('/') ? 'must name a file, not end with /'
    : p.includes('//') ? "contains an empty segment ('//')"
    : p.split('/').some((s) => s === '.' || s === '..') ? "contains a '.' or '..' segment"
    : undefined;
  if (why !== undefined) ctx.addIssue({ code: 'custom', message: `file path '${p}' ${why}` });
});

/** A template string: checked for syntax and known reference kinds here; secrets are cross-checked later. */
export const template = z.string({ error: 'a template must be a string' }).superRefine((t, ctx) => {
  try {
    parseTemplate(t);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message });
  }
});

const DNS_NAME_RE = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const sans = z.strictObject({
  dns: z
    .array(
      z
        .string()
        .transform((s) => s.toLowerCase())
        .refine((s) => s.length <= 253 && DNS_NAME_RE.test(s), { error: (iss) => `'${String(iss.input)}' is not a DNS name (a wildcard is allowed only as the first label)` }),
    )
    .default([]),
  ip: z.array(z.string().refine((s) => isIP(s) !== 0, { error: (iss) => `'${String(iss.input)}' is not an IPv4 or IPv6 address` })).default([]),
});

/** A distinguished name like 'CN=api,O=Example Corp' (RFC 4514 subset: the common attributes, no escapes). */
export const subject = z
  .string()
  .regex(/^(CN|O|OU|C|L|ST|serialNumber)=[^,=+\\"<>;]+(,(CN|O|OU|C|L|ST|serialNumber)=[^,=+\\"<>;]+)*$/, {
    error: "a subject is a distinguished name like 'CN=api,O=Example' (attributes CN, O, OU, C, L, ST, serialNumber; no escapes)",
  });
