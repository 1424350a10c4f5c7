import type { KeyObject } from 'node:crypto';
import { VerifyError } from '../errors.js';
import type { TrustAnchor } from './anchors.js';
import { commonName, publicKeyOf, sameBytes, signatureValid, type ParsedCert } from './cert.js';
import { checkChainTimes, parsePemChain, verifyChainLinks } from './chain.js';
import { checkCrlIssuer, checkCrlTime, checkNotRevoked, type ParsedCrl } from './crl.js';
import type { KeyCache } from './keys.js';
import { pckExtensionsOf, type PckExtensions } from './pck_extensions.js';

/**
 * The PCK chain of a quote: PCK leaf -> PCK Processor/Platform CA -> trusted root (Intel QVL
 * PckCertVerifier; dcap-qvl verify_pck_cert_chain). Revocation: the root CA CRL covers the
 * intermediate, the PCK CA CRL covers the leaf (its issuer must be the intermediate).
 *
 * Caching: a verified intermediate+root pair is kept per exact DER bytes, and a verified leaf
 * per exact PEM text of the chain, so a repeat quote from a known platform costs no signature
 * check here; validity windows and CRL status are still checked on every call.
 */
export interface PckChain {
  readonly leaf: ParsedCert;
  readonly leafKey: KeyObject;
  readonly intermediate: ParsedCert;
  readonly root: ParsedCert;
  readonly extensions: PckExtensions;
}

interface IntermediateEntry {
  readonly intermediate: ParsedCert;
  readonly key: KeyObject;
  readonly root: ParsedCert;
  /** PCK CRLs whose issuer and signature were checked against this intermediate */
  readonly crlsChecked: WeakSet<ParsedCrl>;
}

interface ChainEntry extends PckChain {
  readonly ca: IntermediateEntry;
  /** the exact PEM bytes this entry was built from */
  readonly pem: Uint8Array;
  /** the span in which all three certificates are valid (one comparison per call when inside) */
  readonly from: number;
  readonly until: number;
}

export interface PckCrls {
  readonly rootCaCrl?: ParsedCrl;
  /** DER of the root that signed rootCaCrl (it applies only to chains ending there) */
  readonly rootCaCrlIssuer?: Uint8Array;
  readonly pckCrl?: ParsedCrl;
}

const MAX_ENTRIES = 4096;
/** PEM bytes that pick a cache bucket: the start of the leaf, where its serial is encoded. */
const FINGERPRINT_BYTES = 160;

export class PckChainVerifier {
  private readonly intermediates = new Map<string, IntermediateEntry>();
  /** verified chains, bucketed by length + leading PEM bytes; an entry is used only when all its bytes match */
  private readonly chains = new Map<string, ChainEntry[]>();
  private size = 0;

  /** `keys`: the owning verifier's CA key cache (PCK CA keys repeat across platforms). */
  constructor(
    private readonly anchors: readonly TrustAnchor[],
    private readonly keys: KeyCache,
  ) {}

  /** Verifies the chain (cached where possible), then its validity and CRLs at `now`. */
  verify(pem: Uint8Array, crls: PckCrls, o: { now: Date; requireCrls: boolean; warnings: string[] }): PckChain {
    // Keyed by a short fingerprint and confirmed by comparing every byte: rendering the whole
    // PEM (about 4 KB) as a map key on every call cost more than the rest of this lookup.
    const head = Buffer.from(pem.buffer, pem.byteOffset, Math.min(pem.byteLength, FINGERPRINT_BYTES)).toString('latin1');
    const key = `${pem.byteLength}:${head}`;
    const bucket = this.chains.get(key);
    let entry = bucket?.find((e) => sameBytes(e.pem, pem));
    if (entry === undefined) {
      entry = this.build(new Uint8Array(pem));
      if (this.size >= MAX_ENTRIES) {
        this.chains.clear();
        this.size = 0;
      }
      const list = this.chains.get(key);
      if (list === undefined) this.chains.set(key, [entry]);
      else list.push(entry);
      this.size++;
    }
    const t = o.now.getTime();
    if (t < entry.from || t > entry.until || Number.isNaN(t)) checkChainTimes([entry.leaf, entry.intermediate, entry.root], o.now, 'PCK_CERT_EXPIRED', 'PCK chain');
    this.checkRevocation(entry, crls, o);
    return entry;
  }

  private build(pem: Uint8Array): ChainEntry {
    const certs = parsePemChain(pem, 'PCK_CHAIN_INVALID', 'PCK chain', this.anchors);
    if (certs.length !== 3) throw new VerifyError('PCK_CHAIN_INVALID', `PCK chain length check: got ${certs.length} certificates, want 3 (leaf, PCK CA, root)`);
    const [leaf, intermediate, root] = certs as [ParsedCert, ParsedCert, ParsedCert];
    const caKey = `${Buffer.from(intermediate.der).toString('latin1')}|${Buffer.from(root.der).toString('latin1')}`;
    let ca = this.intermediates.get(caKey);
    if (ca === undefined) {
      const v = verifyChainLinks([intermediate, root], this.anchors, { code: 'PCK_CHAIN_INVALID', what: 'PCK chain', length: 2, keys: this.keys });
      ca = { intermediate, key: v.keys[0]!, root, crlsChecked: new WeakSet() };
      if (this.intermediates.size >= MAX_ENTRIES) this.intermediates.clear();
      this.intermediates.set(caKey, ca);
    }
    // The leaf is checked by hand rather than through the key cache: every platform has its
    // own leaf key, which would only evict the shared CA keys.
    if (!sameBytes(leaf.issuer, ca.intermediate.subject)) {
      throw new VerifyError('PCK_CHAIN_INVALID', `PCK chain issuer check: the leaf is issued by '${commonName(leaf.issuer) ?? '?'}', want '${commonName(ca.intermediate.subject) ?? '?'}'`);
    }
    if (!signatureValid(leaf, ca.key)) throw new VerifyError('PCK_CHAIN_INVALID', 'PCK chain signature check: the leaf is not signed by the PCK CA');
    const leafKey = publicKeyOf(leaf, 'PCK_CHAIN_INVALID', 'PCK certificate');
    const cn = commonName(ca.intermediate.subject);
    if (cn !== 'Intel SGX PCK Processor CA' && cn !== 'Intel SGX PCK Platform CA') {
      throw new VerifyError('PCK_CHAIN_INVALID', `PCK chain CA check: got '${cn ?? '?'}', want 'Intel SGX PCK Processor CA' or 'Intel SGX PCK Platform CA'`);
    }
    const certs3 = [leaf, ca.intermediate, ca.root];
    const from = Math.max(...certs3.map((c) => c.notBefore.getTime()));
    const until = Math.min(...certs3.map((c) => c.notAfter.getTime()));
    return { leaf, leafKey, intermediate: ca.intermediate, root: ca.root, extensions: pckExtensionsOf(leaf), ca, pem, from, until };
  }

  private checkRevocation(entry: ChainEntry, crls: PckCrls, o: { now: Date; requireCrls: boolean; warnings: string[] }): void {
    const root = crls.rootCaCrl !== undefined && crls.rootCaCrlIssuer !== undefined && entry.root.der.length === crls.rootCaCrlIssuer.length &&
      Buffer.compare(entry.root.der, crls.rootCaCrlIssuer) === 0 ? crls.rootCaCrl : undefined;
    if (root !== undefined) {
      checkCrlTime(root, o.now, 'root CA CRL');
      checkNotRevoked(root, entry.intermediate, 'PCK CA certificate');
    } else if (o.requireCrls) {
      throw new VerifyError('CRL_MISSING', 'PCK CA revocation check: no root CA CRL for the root of the PCK chain');
    } else {
      o.warnings.push('CRL check skipped: no root CA CRL for the PCK CA certificate');
    }
    const pck = crls.pckCrl;
    if (pck !== undefined) {
      if (!entry.ca.crlsChecked.has(pck)) {
        checkCrlIssuer(pck, entry.ca.intermediate, entry.ca.key, 'PCK CRL');
        entry.ca.crlsChecked.add(pck);
      }
      checkCrlTime(pck, o.now, 'PCK CRL');
      checkNotRevoked(pck, entry.leaf, 'PCK certificate');
    } else if (o.requireCrls) {
      throw new VerifyError('CRL_MISSING', 'PCK revocation check: the collateral has no PCK CRL');
    } else {
      o.warnings.push('CRL check skipped: the collateral has no PCK CRL');
    }
  }
}
