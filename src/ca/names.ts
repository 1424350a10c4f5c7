import { isIP } from 'node:net';
import { CaError } from './errors.js';
import { x509 } from './x509_provider.js';

/**
 * Names that go into certificates: subjects and subject alternative names. Subjects are built
 * as structured names (JsonName), never by pasting strings into a DN, so a workload name with
 * a ',' or '=' cannot add attributes.
 */
export interface Sans {
  readonly dns?: readonly string[];
  readonly ip?: readonly string[];
  readonly uri?: readonly string[];
}

const MAX_CN = 64; // RFC 5280 ub-common-name
const DNS_NAME_RE = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DN_RE = /^(CN|O|OU|C|L|ST|serialNumber)=[^,=+\\"<>;]+(,(CN|O|OU|C|L|ST|serialNumber)=[^,=+\\"<>;]+)*$/;

export function commonName(cn: string): x509.JsonName {
  if (cn.length === 0 || cn.length > MAX_CN || /[\u0000-\u001f\u007f]/.test(cn)) {
    throw new CaError('CA_NAME_INVALID', `common name ${JSON.stringify(cn)}: want 1..${MAX_CN} printable characters`);
  }
  return [{ CN: [cn] }];
}

/**
 * A distinguished name in the manifest's syntax ('CN=api,O=Example'; the RFC 4514 subset of
 * src/manifest/fields.ts `subject`: common attributes, no escapes) as a structured name.
 */
export function distinguishedName(dn: string): x509.JsonName {
  if (!DN_RE.test(dn)) throw new CaError('CA_NAME_INVALID', `distinguished name ${JSON.stringify(dn)}: want 'CN=api,O=Example' (CN, O, OU, C, L, ST, serialNumber; no escapes)`);
  return dn.split(',').map((rdn) => {
    const at = rdn.indexOf('=');
    return { [rdn.slice(0, at)]: [rdn.slice(at + 1)] };
  });
}

/** The validated SANs in certificate order (DNS, IP, URI); CA_SAN_INVALID for a bad name. */
export function sanList(sans: Sans): x509.JsonGeneralName[] {
  const names: x509.JsonGeneralName[] = [];
  for (const dns of sans.dns ?? []) {
    if (dns.length > 253 || !DNS_NAME_RE.test(dns)) throw new CaError('CA_SAN_INVALID', `DNS SAN ${JSON.stringify(dns)}: want lowercase labels, a wildcard only first`);
    names.push({ type: 'dns', value: dns });
  }
  for (const ip of sans.ip ?? []) {
    if (isIP(ip) === 0) throw new CaError('CA_SAN_INVALID', `IP SAN ${JSON.stringify(ip)}: want an IPv4 or IPv6 address`);
    names.push({ type: 'ip', value: ip });
  }
  for (const uri of sans.uri ?? []) {
    if (!URL.canParse(uri) || /\s/.test(uri)) throw new CaError('CA_SAN_INVALID', `URI SAN ${JSON.stringify(uri)}: want an absolute URI (e.g. spiffe://domain/workload)`);
    names.push({ type: 'url', value: uri });
  }
  return names;
}

/** The SAN extension for `sans`, or undefined when there are none; CA_SAN_INVALID for a bad name. */
export function sanExtension(sans: Sans): x509.SubjectAlternativeNameExtension | undefined {
  const names = sanList(sans);
  // RFC 5280 4.2.1.6: critical when the subject is empty; ours always has a CN, so not critical.
  return names.length === 0 ? undefined : new x509.SubjectAlternativeNameExtension(names, false);
}

/** The 4 or 16 address bytes of an IP that isIP() accepted (iPAddress SAN, RFC 5280 4.2.1.6). */
export function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return new Uint8Array(ip.split('.').map(Number));
  // IPv6: expand '::', and a trailing dotted IPv4 part becomes the last two groups.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const b = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}
