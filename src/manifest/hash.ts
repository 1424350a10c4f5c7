import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/jcs.js';
import type { Manifest } from './schema.js';

/**
 * The manifest hash: lowercase hex SHA-256 over the RFC 8785 canonical JSON of the VALIDATED
 * manifest (defaults applied, hex lowercased). The same document as YAML or JSON, with keys in
 * any order, hashes the same; so does a document that spells out a default.
 */
export function manifestHash(m: Manifest): string {
  return createHash('sha256').update(canonicalJson(m), 'utf8').digest('hex');
}
