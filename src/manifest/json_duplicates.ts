/**
 * Finds the first duplicate object key in JSON text that JSON.parse already accepted.
 * JSON.parse keeps the last of duplicate keys silently while other parsers keep the first, so
 * two readers of one manifest could see two different policies; manifests with duplicates are
 * refused. A single linear scan (the YAML parser can do this too, but ~50x slower on large
 * manifests). Keys are compared after unescaping ("a" and "\u0061" are the same key).
 */
export function findDuplicateJsonKey(text: string): { key: string; offset: number } | undefined {
  const stack: Array<Set<string> | null> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) stack.push(new Set());
    else if (c === 0x5b /* [ */) stack.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      const keys = stack.at(-1);
      if (text[j] === ':' && keys !== undefined && keys !== null) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return { key, offset: start };
        keys.add(key);
      }
    }
  }
  return undefined;
}
