import type { Command } from 'commander';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { decryptShare, encodeShare, recoveryKeyFingerprint, RecoveryError } from '../../recovery/index.js';
import { ClientError, governanceClient } from '../../runtime/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { attestFromFlags, systemRandom, TIMEOUT_MS, withCoordinatorOptions, type CoordinatorFlags, type Run } from './user_session.js';

/**
 * `cloister recover --key KEY.pem`: a recovery-key holder's part in unlocking a coordinator
 * that cannot unseal its state (docs/governance.md "Recovery"). The holder's share is
 * encrypted to their key; it is decrypted HERE, with the private key that never leaves this
 * machine, and sent only to a coordinator just attested, over TLS pinned to the root CA its
 * attestation binds (in recovery: a throwaway root created inside the TEE at start).
 */
interface RecoverFlags extends CoordinatorFlags {
  key?: string;
}

export function registerRecoverCommand(program: Command, run: Run): void {
  withCoordinatorOptions(program.command('recover'))
    .description('decrypt your recovery share locally and send it to the attested coordinator in recovery; prints have/need or "recovered"')
    .requiredOption('--key <file>', 'your recovery PRIVATE key (PEM: RSA >= 2048 or X25519), the one whose public key the manifest lists under recovery.keys')
    .option('--json', 'print one JSON object')
    .action((f: RecoverFlags) => run(() => recover(f)));
}

async function recover(f: RecoverFlags): Promise<number> {
  if (f.key === undefined) throw new UsageError('USAGE_ERROR', '--key FILE (your recovery private key) is required');
  const pem = Buffer.from(readInputFile(f.key, 'recovery key')).toString('utf8');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new RecoveryError('RECOVERY_KEY_UNSUPPORTED', `recovery key '${f.key}': not a PEM private key (an encrypted key must be decrypted first)`, { cause });
  }
  const fingerprint = recoveryKeyFingerprint(key);
  const att = await attestFromFlags(f);
  const client = governanceClient({ coordinatorUrl: att.url, rootCaPem: att.rootCaPem, auth: { kind: 'anonymous' }, clock: { now: () => new Date() }, random: systemRandom, timeoutMs: TIMEOUT_MS });
  const st = await client.recoveryStatus();
  const mine = Object.entries(st.keys).find(([, k]) => k.fingerprint === fingerprint);
  if (mine === undefined) {
    throw new ClientError('RECOVERY_ENVELOPE_NOT_FOUND', `no recovery share for this key (sha256 ${fingerprint}); the coordinator lists keys ${Object.keys(st.keys).join(', ') || '(none)'}`, {
      detail: { fingerprint, keys: Object.keys(st.keys) },
    });
  }
  const [keyName, entry] = mine;
  const share = decryptShare(key, Buffer.from(entry.envelope, 'base64'));
  const r = await client.submitRecoveryShare(encodeShare(share));
  if (f.json === true) {
    process.stdout.write(`${JSON.stringify({ key: keyName, ...r })}\n`);
    return EXIT.OK;
  }
  process.stdout.write(
    r.status === 'complete'
      ? `recovered: share of '${keyName}' accepted, the coordinator is ${r.state}\n`
      : `share of '${keyName}' accepted: have ${r.have} of ${r.need} needed shares\n`,
  );
  return EXIT.OK;
}
