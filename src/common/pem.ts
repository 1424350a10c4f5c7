/** Splits text into its PEM blocks (label + DER body). Non-PEM text yields no blocks. */
export function pemBlocks(text: string): Array<{ label: string; der: Uint8Array; pem: string }> {
  const out: Array<{ label: string; der: Uint8Array; pem: string }> = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ label: m[1]!, der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')), pem: m[0] });
  }
  return out;
}

/** Splits a file's bytes into certificate/CRL blobs: each PEM block, or the whole file when it is DER. */
export function splitPemOrDer(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN ')) return pemBlocks(text).map((b) => new TextEncoder().encode(b.pem));
  return [bytes];
}
