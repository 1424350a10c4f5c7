import type { Command } from 'commander';
import { ClientError, writeFileAtomic } from '../../runtime/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { attestFromFlags, clientFor, userFromFlags, withUserOptions, type Run, type UserFlags } from './user_session.js';

/**
 * `cloister secret set|get`: user secrets (`type: user` in the manifest), written and read by
 * users whose role allows `secret.write` / `secret.read` on the name. Values go only over TLS
 * pinned to the attested root; a value read is written 0600.
 */
interface SetFlags extends UserFlags {
  fromFile?: string;
}
interface GetFlags extends UserFlags {
  out?: string;
}

/** The manifest's secret names (src/manifest/fields.ts `identifier`). */
const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export function registerSecretCommands(program: Command, run: Run): void {
  const secret = program.commands.find((c) => c.name() === 'secret') ?? program.command('secret').description('set or read user secrets (type: user in the manifest)');
  withUserOptions(secret.command('set'))
    .description('set a user secret from a file (the manifest must declare it with type: user)')
    .argument('<name>', 'the secret name in the manifest')
    .requiredOption('--from-file <file>', 'the file holding the value (bytes, sent as is)')
    .option('--json', 'print one JSON object')
    .action((name: string, f: SetFlags) => run(() => setSecret(name, f)));
  withUserOptions(secret.command('get'))
    .description('read a user secret')
    .argument('<name>', 'the secret name in the manifest')
    .option('--out <file>', 'write the value to this file (mode 0600) instead of stdout')
    .action((name: string, f: GetFlags) => run(() => getSecret(name, f)));
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new UsageError('USAGE_ERROR', `secret name '${name}' is not a manifest secret name (a letter, then at most 62 letters, digits, _ or -)`);
}

async function setSecret(name: string, f: SetFlags): Promise<number> {
  checkName(name);
  if (f.fromFile === undefined) throw new UsageError('USAGE_ERROR', '--from-file FILE is required');
  const value = readInputFile(f.fromFile, 'secret value');
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const r = await clientFor(att, user.auth).setSecret(name, value);
  if (r.name !== name || r.size !== value.length) {
    throw new ClientError('COORDINATOR_RESPONSE_INVALID', `secret set: the coordinator confirmed '${r.name}' (${r.size} bytes), want '${name}' (${value.length} bytes)`);
  }
  process.stdout.write(f.json === true ? `${JSON.stringify(r)}\n` : `secret ${name} set (${r.size} bytes)\n`);
  return EXIT.OK;
}

async function getSecret(name: string, f: GetFlags): Promise<number> {
  checkName(name);
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const s = await clientFor(att, user.auth).getSecret(name);
  if (s.name !== name) throw new ClientError('COORDINATOR_RESPONSE_INVALID', `secret get: the coordinator answered for '${s.name}', want '${name}'`);
  if (f.out === undefined) {
    process.stdout.write(Buffer.from(s.value));
    return EXIT.OK;
  }
  await writeFileAtomic(f.out, s.value, 0o600).catch((e: unknown) => {
    throw new UsageError('USAGE_ERROR', `cannot write --out: ${(e as Error).message}`, { cause: e });
  });
  process.stdout.write(`secret ${name} (${s.value.length} bytes, set ${s.setAt}) written to ${f.out}\n`);
  return EXIT.OK;
}
