/**
 * What the coordinator needs from a certificate authority (consumers declare their needs;
 * src/ca implements it). Snapshots are JSON-serializable so they can be sealed in the store.
 */
export interface LeafRequest {
  /** PEM PKCS#10 request; its signature is checked and its public key certified. */
  readonly csrPem: string;
  readonly subjectCn: string;
  readonly sans: { readonly dns: readonly string[]; readonly ip: readonly string[]; readonly uri: readonly string[] };
  readonly lifetimeMs: number;
  readonly now: Date;
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
}

export interface IssuedLeaf {
  readonly certPem: string;
  /** lowercase hex, no leading zeros stripped: the serial as encoded */
  readonly serial: string;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo of the certified key (the activation binding uses it) */
  readonly publicKeySpki: Uint8Array;
}

export interface RootAuthority {
  readonly certPem: string;
  readonly spkiDer: Uint8Array;
  /** JSON-serializable, includes the private key: store it sealed only */
  readonly snapshot: unknown;
  /** A TLS server certificate for the coordinator itself (key generated here). */
  issueServerCertificate(o: { dns: readonly string[]; ip: readonly string[]; now: Date; lifetimeMs: number }): Promise<{ certPem: string; keyPem: string }>;
}

export interface IntermediateAuthority {
  readonly certPem: string;
  readonly snapshot: unknown;
  issueLeaf(req: LeafRequest): Promise<IssuedLeaf>;
  issueSecretCertificate(o: {
    keyType: 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
    subjectCn: string;
    sans: { readonly dns: readonly string[]; readonly ip: readonly string[]; readonly uri: readonly string[] };
    ca: boolean;
    lifetimeMs: number;
    now: Date;
  }): Promise<{ certPem: string; keyPem: string }>;
  /** A CRL of the given revoked serials, signed by this intermediate. */
  buildCrl(revoked: ReadonlyArray<{ serial: string; revokedAt: Date }>, o: { now: Date; nextUpdate: Date }): Promise<Uint8Array>;
}

export interface CaFactory {
  /** Checks a PKCS#10 request's signature and returns its public key (DER SPKI). */
  parseCsr(csrPem: string): Promise<{ publicKeySpki: Uint8Array }>;
  createRoot(o: { name: string; now: Date; lifetimeMs: number }): Promise<RootAuthority>;
  loadRoot(snapshot: unknown): Promise<RootAuthority>;
  createIntermediate(root: RootAuthority, o: { name: string; now: Date; lifetimeMs: number }): Promise<IntermediateAuthority>;
  loadIntermediate(root: RootAuthority, snapshot: unknown): Promise<IntermediateAuthority>;
}
