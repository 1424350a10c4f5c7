import { CollateralError } from './errors.js';

/** Parses a service base URL (http or https only). */
export function parseBaseUrl(value: URL | string, what: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch (cause) {
    throw new CollateralError('COLLATERAL_REQUEST_INVALID', `${what} '${String(value)}' is not a URL`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CollateralError('COLLATERAL_REQUEST_INVALID', `${what} '${url.href}' must be http(s), got ${url.protocol}`);
  }
  return url;
}

/** `base` + `path` (+ query): keeps a base path prefix such as a PCCS mounted under /pccs. */
export function joinUrl(base: URL, path: string, query: Record<string, string> = {}): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  for (const [k, v] of Object.entries(query)) url.searchParams.append(k, v);
  return url;
}

export function invalidRequest(message: string, detail: Record<string, unknown> = {}): never {
  throw new CollateralError('COLLATERAL_REQUEST_INVALID', message, { detail });
}
