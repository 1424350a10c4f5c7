import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the Reflect metadata polyfill loaded first
import { KeyObject, generateKeyPairSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parseGovernance, type GovernanceInput } from '../../src/governance/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Users with every supported key type; dave is declared by a certificate. */
export const NOW = new Date('2025-06-01T00:00:00.000Z');
export const CERT_NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
export const CERT_NOT_AFTER = new Date('2026-01-01T00:00:00Z');

export const keys = {
  alice: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  bob: generateKeyPairSync('ed25519'),
  carol: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  eve: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
};

const spki = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }) as string;

const daveKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
const daveCert = await x509.X509CertificateGenerator.createSelfSigned({
  serialNumber: '01',
  name: 'CN=dave',
  notBefore: CERT_NOT_BEFORE,
  notAfter: CERT_NOT_AFTER,
  keys: daveKeys,
  signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
});
export const dave = { privateKey: KeyObject.from(daveKeys.privateKey), certificate: daveCert.toString('pem') };

export const recoveryKeys = { rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }), x25519: generateKeyPairSync('x25519') };

export const INPUT: GovernanceInput = {
  users: {
    alice: { publicKey: spki(keys.alice.publicKey) },
    bob: { publicKey: spki(keys.bob.publicKey) },
    carol: { publicKey: spki(keys.carol.publicKey) },
    dave: { certificate: dave.certificate },
    eve: { publicKey: spki(keys.eve.publicKey) },
  },
  roles: {
    owners: { users: ['alice', 'bob', 'carol'], permissions: [{ action: 'manifest.update' }, { action: 'approve' }, { action: 'audit.read' }, { action: 'status.read' }] },
    secops: {
      users: ['dave'],
      permissions: [
        { action: 'package.update', resources: ['api'] },
        { action: 'approve', resources: ['package'] },
        { action: 'secret.read', resources: ['db-*'] },
        { action: 'secret.write', resources: ['db-password'] },
      ],
    },
    auditors: { users: ['eve'], permissions: [{ action: 'audit.read' }, { action: 'recover' }] },
  },
  approvals: { manifestUpdate: 2, packageUpdate: 1 },
  recovery: { threshold: 2, keys: { k1: spki(recoveryKeys.rsa.publicKey), k2: spki(recoveryKeys.x25519.publicKey) } },
};

export const MODEL = parseGovernance(INPUT);

export const privateKeyOf = (user: 'alice' | 'bob' | 'carol' | 'dave' | 'eve'): KeyObject => (user === 'dave' ? dave.privateKey : keys[user].privateKey);
