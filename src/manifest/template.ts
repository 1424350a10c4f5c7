import { ManifestError } from './errors.js';

/**
 * Templates for files, environment variables and argv. Deliberately tiny: text with
 * `{{ reference }}` holes, no conditionals, loops, functions or code execution (MarbleRun's
 * Go templates can call functions; here a manifest reviewer sees everything at a glance).
 *
 *   {{ secrets.NAME.FORMAT }}   FORMAT: hex | base64 | raw   (symmetric-key, random, user)
 *                                       cert | key | pem      (certificate)
 *   {{ self.cert }} {{ self.key }} {{ self.ca }}   the instance's own certificate, key, CA (PEM)
 *   {{ workload.name }} {{ instance.id }}
 *   {{ "{{" }}                   a quoted string is copied as is (the way to write a literal `{{`)
 *
 * Whitespace inside the braces is optional. A `}}` outside a hole is plain text.
 */
export type SecretFormat = 'hex' | 'base64' | 'raw' | 'cert' | 'key' | 'pem';
export const SECRET_FORMATS: readonly SecretFormat[] = ['hex', 'base64', 'raw', 'cert', 'key', 'pem'];
export const BYTE_FORMATS: readonly SecretFormat[] = ['hex', 'base64', 'raw'];
export const CERTIFICATE_FORMATS: readonly SecretFormat[] = ['cert', 'key', 'pem'];

export type TemplateRef =
  | { readonly kind: 'secret'; readonly name: string; readonly format: SecretFormat }
  /** `format` absent = PEM; `hex` / `base64` / `raw` = the DER of the (first) certificate */
  | { readonly kind: 'self'; readonly field: 'cert' | 'key' | 'ca'; readonly format?: 'hex' | 'base64' | 'raw' }
  | { readonly kind: 'workload'; readonly field: 'name' }
  | { readonly kind: 'instance'; readonly field: 'id' };

export type TemplateSegment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'ref'; readonly ref: TemplateRef; readonly source: string };

export interface ParsedTemplate {
  readonly segments: readonly TemplateSegment[];
}

/** Secret material as the coordinator hands it to the renderer. */
export type SecretMaterial =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** certPem: the certificate (leaf first, then its issuing chain); keyPem: PKCS#8 private key */
  | { readonly kind: 'certificate'; readonly certPem: string; readonly keyPem: string };

export interface TemplateContext {
  readonly workload: { readonly name: string };
  readonly instance: { readonly id: string };
  /** The instance's own identity (PEM). Absent: `self.*` references fail with TEMPLATE_VALUE_MISSING. */
  readonly self?: { readonly cert: string; readonly key: string; readonly ca: string };
  /**
   * Every DECLARED secret by name. A name that is present with value `undefined` is declared but
   * has no value yet (an unset user secret): TEMPLATE_VALUE_MISSING. An absent name:
   * TEMPLATE_REFERENCE_UNKNOWN.
   */
  readonly secrets: Readonly<Record<string, SecretMaterial | undefined>>;
}

const IDENT = '[A-Za-z0-9_-]+';
const REF_RE = new RegExp(`^${IDENT}(?:\\.${IDENT})*$`);
const STRING_RE = /^"([^"]*)"$/;

/** Parses a template; syntax errors are TEMPLATE_SYNTAX_INVALID, unknown references TEMPLATE_REFERENCE_UNKNOWN. */
export function parseTemplate(template: string): ParsedTemplate {
  const segments: TemplateSegment[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      segments.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) segments.push({ kind: 'text', text: template.slice(i, open) });
    const close = template.indexOf('}}', open + 2);
    if (close < 0) {
      throw new ManifestError('TEMPLATE_SYNTAX_INVALID', `template has '{{' at offset ${open} without a closing '}}'`, {
        detail: { offset: open },
      });
    }
    const source = template.slice(open + 2, close).trim();
    const literal = STRING_RE.exec(source);
    if (literal !== null) segments.push({ kind: 'text', text: literal[1]! });
    else segments.push({ kind: 'ref', ref: parseRef(source, open), source });
    i = close + 2;
  }
  return { segments };
}

function parseRef(source: string, offset: number): TemplateRef {
  if (!REF_RE.test(source)) {
    throw new ManifestError(
      'TEMPLATE_SYNTAX_INVALID',
      `template expression '{{ ${source} }}' at offset ${offset} is not a reference like secrets.NAME.hex or self.cert`,
      { detail: { offset, expression: source } },
    );
  }
  const parts = source.split('.');
  const [root, a, b] = parts;
  const unknown = (why: string): ManifestError =>
    new ManifestError('TEMPLATE_REFERENCE_UNKNOWN', `template reference '${source}': ${why}`, { detail: { reference: source } });
  switch (root) {
    case 'secrets':
      if (parts.length !== 3) throw unknown('want secrets.NAME.FORMAT');
      if (!(SECRET_FORMATS as readonly string[]).includes(b!)) throw unknown(`format '${b}' is not one of ${SECRET_FORMATS.join(', ')}`);
      return { kind: 'secret', name: a!, format: b as SecretFormat };
    case 'self':
      if (parts.length < 2 || parts.length > 3 || (a !== 'cert' && a !== 'key' && a !== 'ca')) {
        throw unknown('want self.cert, self.key or self.ca (PEM), or self.cert / self.ca with .hex, .base64 or .raw (DER)');
      }
      if (parts.length === 2) return { kind: 'self', field: a };
      // the private key is created by the launcher and delivered as PEM only (docs/manifest.md)
      if (a === 'key') throw unknown('the private key is PEM only: use self.key');
      if (b !== 'hex' && b !== 'base64' && b !== 'raw') throw unknown(`format '${b}' is not one of hex, base64, raw (DER of the certificate)`);
      return { kind: 'self', field: a, format: b };
    case 'workload':
      if (parts.length !== 2 || a !== 'name') throw unknown('want workload.name');
      return { kind: 'workload', field: 'name' };
    case 'instance':
      if (parts.length !== 2 || a !== 'id') throw unknown('want instance.id');
      return { kind: 'instance', field: 'id' };
    default:
      throw unknown(`'${root}' is not one of secrets, self, workload, instance`);
  }
}

/** Every reference in a template, in order (for the manifest's cross-reference checks). */
export function templateReferences(template: string | ParsedTemplate): TemplateRef[] {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  const out: TemplateRef[] = [];
  for (const s of parsed.segments) if (s.kind === 'ref') out.push(s.ref);
  return out;
}

/** The formats a secret of this type supports. */
export function formatsFor(type: 'symmetric-key' | 'random' | 'user' | 'certificate'): readonly SecretFormat[] {
  return type === 'certificate' ? CERTIFICATE_FORMATS : BYTE_FORMATS;
}

const utf8 = new TextEncoder();

/**
 * Renders a template to bytes (`raw` secrets may be binary). With `text: true` (environment
 * variables, argv) a result containing a NUL byte is refused: exec would truncate it silently.
 */
export function renderTemplate(template: string | ParsedTemplate, ctx: TemplateContext, opts: { text?: boolean } = {}): Uint8Array {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  const parts: Uint8Array[] = parsed.segments.map((s) => (s.kind === 'text' ? utf8.encode(s.text) : renderRef(s.ref, s.source, ctx)));
  const out = new Uint8Array(Buffer.concat(parts));
  if (opts.text === true && out.includes(0)) {
    throw new ManifestError('TEMPLATE_VALUE_NOT_TEXT', `rendered value for workload '${ctx.workload.name}' contains a NUL byte; use .hex or .base64`);
  }
  return out;
}

function renderRef(ref: TemplateRef, source: string, ctx: TemplateContext): Uint8Array {
  switch (ref.kind) {
    case 'workload':
      return utf8.encode(ctx.workload.name);
    case 'instance':
      return utf8.encode(ctx.instance.id);
    case 'self':
      if (ctx.self === undefined) {
        throw new ManifestError('TEMPLATE_VALUE_MISSING', `template reference '${source}': the instance has no certificate in this context`);
      }
      if (ref.format === undefined) return utf8.encode(ctx.self[ref.field]);
      return encodeDer(firstCertificateDer(ctx.self[ref.field], source), ref.format);
    case 'secret':
      return renderSecret(ref, source, ctx);
  }
}

function renderSecret(ref: Extract<TemplateRef, { kind: 'secret' }>, source: string, ctx: TemplateContext): Uint8Array {
  if (!Object.hasOwn(ctx.secrets, ref.name)) {
    throw new ManifestError('TEMPLATE_REFERENCE_UNKNOWN', `template reference '${source}': no secret '${ref.name}' is declared`, {
      detail: { reference: source },
    });
  }
  const m = ctx.secrets[ref.name];
  if (m === undefined) {
    throw new ManifestError('TEMPLATE_VALUE_MISSING', `template reference '${source}': secret '${ref.name}' has no value yet`, {
      detail: { reference: source, secret: ref.name },
    });
  }
  if (m.kind === 'certificate') {
    if (ref.format === 'cert') return utf8.encode(m.certPem);
    if (ref.format === 'key') return utf8.encode(m.keyPem);
    if (ref.format === 'pem') return utf8.encode(ensureNewline(m.certPem) + m.keyPem);
  } else {
    if (ref.format === 'raw') return m.bytes;
    if (ref.format === 'hex') return utf8.encode(Buffer.from(m.bytes).toString('hex'));
    if (ref.format === 'base64') return utf8.encode(Buffer.from(m.bytes).toString('base64'));
  }
  throw new ManifestError(
    'TEMPLATE_REFERENCE_UNKNOWN',
    `template reference '${source}': format '${ref.format}' does not apply to a ${m.kind === 'certificate' ? 'certificate' : 'byte'} secret (want ${(m.kind === 'certificate' ? CERTIFICATE_FORMATS : BYTE_FORMATS).join(', ')})`,
    { detail: { reference: source } },
  );
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

/** The DER of the first PEM certificate in `pem` (self.cert is leaf + chain: the leaf). */
function firstCertificateDer(pem: string, source: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (m === null) throw new ManifestError('TEMPLATE_VALUE_MISSING', `template reference '${source}': no certificate to encode`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function encodeDer(der: Uint8Array, format: 'hex' | 'base64' | 'raw'): Uint8Array {
  if (format === 'raw') return der;
  return utf8.encode(Buffer.from(der).toString(format));
}
