import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata polyfill loaded first
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Generated certificates and CRLs for tests that need "a well-formed chain / CRL" without
 * the shared vectors. They stand in for transport and format checks only; nothing verifies
 * trust in them here.
 */
type KeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface TestPki {
  /** one self-signed P-256 certificate, PEM */
  readonly certPem: string;
  readonly certDer: Uint8Array;
  /** two certificates (a stand-in AS(V)K + ARK pair), PEM */
  readonly chainPem: string;
  /** a DER CRL with nextUpdate = crlNextUpdate */
  readonly crlDer: Uint8Array;
  readonly crlNextUpdate: Date;
  readonly certNotAfter: Date;
}

let cached: Promise<TestPki> | undefined;

async function selfSigned(cn: string, notAfter: Date): Promise<{ cert: x509.X509Certificate; keys: KeyPair }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as KeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter,
    keys,
    signingAlgorithm: alg,
  });
  return { cert, keys };
}

export function testPki(): Promise<TestPki> {
  cached ??= (async () => {
    const certNotAfter = new Date('2044-01-01T00:00:00Z');
    const a = await selfSigned('cloister-test-a', certNotAfter);
    const b = await selfSigned('cloister-test-b', new Date('2045-01-01T00:00:00Z'));
    const crlNextUpdate = new Date('2031-02-03T04:05:06Z');
    const crl = await x509.X509CrlGenerator.create({
      issuer: a.cert.subject,
      thisUpdate: new Date('2024-01-01T00:00:00Z'),
      nextUpdate: crlNextUpdate,
      entries: [],
      signingKey: a.keys.privateKey as unknown as Parameters<typeof x509.X509CrlGenerator.create>[0]['signingKey'],
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Parameters<typeof x509.X509CrlGenerator.create>[0]['signingAlgorithm'],
    });
    return {
      certPem: a.cert.toString('pem') + '\n',
      certDer: new Uint8Array(a.cert.rawData),
      chainPem: `${a.cert.toString('pem')}\n${b.cert.toString('pem')}\n`,
      crlDer: new Uint8Array(crl.rawData),
      crlNextUpdate,
      certNotAfter,
    };
  })();
  return cached;
}
